package io.tfgw.converters.resolve;

import com.google.protobuf.TextFormat;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConcurrentWriteException;
import io.tfgw.core.storage.ConditionalWrites;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.CheckpointState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code checkpoint} state file TF's Saver and CheckpointManager keep next to checkpoints: a text-format
 * {@code CheckpointState}. Paths in it may be relative to its directory or absolute, and absolute ones often come
 * from another machine; {@link #resolve} maps those to the file of that name beside the state file.
 */
public final class CheckpointStateFile {
  public static final String NAME = "checkpoint";

  private final Location directory;
  private final CheckpointState state;

  private CheckpointStateFile(Location directory, CheckpointState state) {
    this.directory = directory;
    this.state = state;
  }

  public static CheckpointStateFile read(Storage storage, Location file) {
    String text = new String(storage.inputFile(file).readAllBytes(), StandardCharsets.UTF_8);
    CheckpointState.Builder b = CheckpointState.newBuilder();
    try {
      TextFormat.Parser.newBuilder().setAllowUnknownFields(true).build().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new CorruptInputException(file + " is not a valid checkpoint state file: " + e.getMessage());
    }
    if (b.getModelCheckpointPath().isEmpty()) {
      throw new CorruptInputException(file + " names no model_checkpoint_path");
    }
    return new CheckpointStateFile(file.parent(), b.build());
  }

  /**
   * The state file's version now, to be passed to {@link #writeIf} after reading and changing it; empty when there
   * is no state file or the store keeps no versions.
   */
  public static Optional<String> version(Storage storage, Location file) {
    return storage.capability(ConditionalWrites.class, file).flatMap(c -> c.version(file));
  }

  /**
   * Writes {@code state} to the state file only if the file is still at {@code expected} (from {@link #version},
   * taken before it was read), so a concurrent update by another tfgw (a prune, a conversion) is never silently
   * overwritten: that case throws {@link ConcurrentWriteException}. Stores without conditional writes get a plain
   * atomic write.
   */
  public static void writeIf(Storage storage, Location file, Optional<String> expected, CheckpointState state) {
    byte[] text = TextFormat.printer().printToString(state).getBytes(StandardCharsets.UTF_8);
    Optional<ConditionalWrites> conditional = storage.capability(ConditionalWrites.class, file);
    if (conditional.isEmpty()) {
      storage.outputFile(file).write(text);
      return;
    }
    try (AtomicOutputStream out = conditional.get().createIf(file, expected)) {
      out.write(text);
      out.commit();
    } catch (java.io.IOException e) {
      throw new StorageException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public CheckpointState state() {
    return state;
  }

  /** The latest checkpoint's prefix. */
  public String latest() {
    return state.getModelCheckpointPath();
  }

  /** Every checkpoint listed, oldest first, ending with the latest. */
  public List<String> all() {
    List<String> l = new ArrayList<>(state.getAllModelCheckpointPathsList());
    if (!l.contains(latest())) {
      l.add(latest());
    }
    return l;
  }

  /**
   * Where a listed path is. A relative path is relative to the state file's directory; an absolute path is used
   * when {@code exists} says its checkpoint is there, and otherwise taken to mean the same name beside the state
   * file (the usual case for a directory copied from another machine or bucket).
   */
  public Location resolve(String path, java.util.function.Predicate<Location> exists) {
    boolean absolute = path.startsWith("/") || path.contains("://") || path.matches("^[A-Za-z]:[\\\\/].*");
    if (!absolute) {
      return directory.resolve(path);
    }
    if (directory.isLocal() && path.startsWith("/")) {
      Location asGiven = Location.parse(path);
      if (exists.test(asGiven)) {
        return asGiven;
      }
    }
    String name = path.replace('\\', '/');
    name = name.substring(name.lastIndexOf('/') + 1);
    return directory.resolve(name);
  }
}
