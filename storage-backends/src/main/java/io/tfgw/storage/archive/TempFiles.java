package io.tfgw.storage.archive;

import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** One private temp directory for spooled and staged archive data, removed when the backend closes. */
final class TempFiles implements AutoCloseable {
  private final OptionalLong maxInflated;
  private Path dir;

  /** @param maxInflated the user's cap on decompressed bytes per archive entry or tar.gz, if any */
  TempFiles(OptionalLong maxInflated) {
    this.maxInflated = maxInflated;
  }

  /** The bound for decompressing {@code compressedBytes} of archive data into a temp file. */
  InflationLimit inflationLimit(long compressedBytes) {
    long free;
    try {
      Path where = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
      free = Files.getFileStore(where).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      free = Long.MAX_VALUE; // unknown: the other bounds still hold
    }
    return InflationLimit.of(compressedBytes, free, maxInflated);
  }

  synchronized Path newFile(String purpose) {
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("tfgw-archive-");
      }
      return Files.createTempFile(dir, purpose + "-", ".tmp");
    } catch (IOException e) {
      throw new StorageException("Cannot create a temp file for archive data in " + System.getProperty("java.io.tmpdir")
          + ": " + e.getMessage() + " (set -Djava.io.tmpdir to a directory with space)", e);
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // removed with the directory at close
    }
  }

  @Override
  public synchronized void close() {
    if (dir == null) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(TempFiles::deleteQuietly);
    } catch (IOException ignored) {
      // best effort
    }
    dir = null;
  }
}
