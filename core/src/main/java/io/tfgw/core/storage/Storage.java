package io.tfgw.core.storage;

import java.util.List;

/**
 * The one interface through which tfgw reads and writes files, whatever holds them. Deliberately small (in the
 * spirit of Trino's TrinoFileSystem and Iceberg's FileIO); optional abilities are separate interfaces a backend may
 * also implement.
 *
 * <p>Semantics are those of a blob store: files only, "directories" are key prefixes. Format code uses nothing
 * else, so every format works on every backend.
 */
public interface Storage extends AutoCloseable {
  /** A file to read (it need not exist: {@link InputFile#exists()} tells). */
  InputFile inputFile(Location location);

  /** A file to write, atomically: it appears complete when its stream is committed. */
  OutputFile outputFile(Location location);

  /**
   * Every file strictly below {@code directory}, at any depth, sorted by location path (bytewise). Empty when
   * there is none (including when the directory does not exist).
   */
  List<FileEntry> list(Location directory);

  /** Whether a file (not a directory) exists at the location. */
  default boolean exists(Location location) {
    return inputFile(location).exists();
  }

  /** Whether files exist below the location. */
  default boolean isDirectory(Location location) {
    return !list(location).isEmpty();
  }

  /** Deletes the file; no error when it does not exist. */
  void delete(Location location);

  /**
   * The backend serving {@code location} as an optional capability interface ({@link FileTimes},
   * {@link StoredChecksums}, {@link StagedStorage}, ...), or empty when it lacks it. Capabilities are separate
   * interfaces, as Iceberg's {@code SupportsPrefixOperations}; a router answers for the backend of the location.
   */
  default <T> java.util.Optional<T> capability(Class<T> type, Location location) {
    return type.isInstance(this) ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
  }

  @Override
  /** Releases the backend's resources (clients, thread pools). */
  default void close() {}
}
