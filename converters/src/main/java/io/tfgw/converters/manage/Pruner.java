package io.tfgw.converters.manage;

import io.tfgw.converters.resolve.CheckpointStateFile;
import io.tfgw.core.storage.ConcurrentWriteException;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.CheckpointState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * Deletes old checkpoints the way TensorFlow's {@code Saver(max_to_keep=N, keep_checkpoint_every_n_hours=H)} does,
 * on any storage.
 *
 * <ul>
 *   <li>The N most recent checkpoints (by step; the state file's latest always counts as the most recent) are kept
 *       and stay listed in the {@code checkpoint} state file.</li>
 *   <li>With H: of the older ones, walking from oldest to newest, one is preserved whenever it is at least H hours
 *       younger than the last preserved one (the state file's {@code last_preserved_timestamp}, or else the
 *       oldest checkpoint, which is then preserved itself).
 *       Preserved checkpoints stay on storage but leave the state file's list, as TF's Saver does, so TF never
 *       deletes them either. Times come from the state file's {@code all_model_checkpoint_timestamps}, or from
 *       the storage's file times of each {@code .index}.</li>
 *   <li>When there is a state file, checkpoints it does not list are left alone, as TF's Saver leaves them (this
 *       is also what keeps preserved checkpoints preserved). A checkpoint whose data files are missing is
 *       deleted unless it is the latest.</li>
 *   <li>Only whole checkpoints are deleted. The state file is rewritten (atomically) <em>before</em> anything is
 *       deleted, so it never names a deleted checkpoint, even if prune is interrupted; each checkpoint's
 *       {@code .index} goes after its data files, so an interrupted prune leaves at worst an index without data,
 *       unlisted, which the next prune removes.</li>
 * </ul>
 */
public final class Pruner {
  private final Storage storage;
  private final CheckpointCatalog catalog;

  public Pruner(Storage storage) {
    this.storage = storage;
    this.catalog = new CheckpointCatalog(storage);
  }

  public PrunePlan plan(Location directory, int keep, Double keepEveryHours) {
    if (keep < 1) {
      throw new WrongInputException("--keep must be at least 1 (the latest checkpoint is always kept), not " + keep);
    }
    if (keepEveryHours != null && !(keepEveryHours > 0)) {
      throw new WrongInputException("--keep-every-hours must be a positive number of hours, not " + keepEveryHours);
    }
    if (storage.exists(directory)) {
      throw new WrongInputException(directory + " is a file; prune takes the directory that holds the checkpoints "
          + "and their checkpoint state file, e.g. " + directory.parent());
    }
    Location stateFile = directory.resolve(CheckpointStateFile.NAME);
    Optional<String> stateVersion = CheckpointStateFile.version(storage, stateFile); // before anything is read
    CheckpointListing listing = catalog.list(directory);
    CheckpointStateFile state = storage.exists(stateFile) ? CheckpointStateFile.read(storage, stateFile) : null;
    Map<Location, Integer> listed = new HashMap<>();
    if (state != null) {
      List<String> paths = state.state().getAllModelCheckpointPathsList();
      for (int i = 0; i < paths.size(); i++) {
        listed.put(state.resolve(paths.get(i), p -> storage.exists(BundleFiles.index(p))), i);
      }
    }
    List<CheckpointEntry> ordered = new ArrayList<>();
    List<CheckpointEntry> unlisted = new ArrayList<>();
    List<CheckpointEntry> deleted = new ArrayList<>();
    CheckpointEntry latest = null;
    for (CheckpointEntry c : listing.checkpoints()) {
      if (c.latest()) {
        latest = c; // always kept, and the most recent whatever its step
      } else if (!c.complete()) {
        deleted.add(c); // an index whose data is gone: unreadable, e.g. left by an interrupted prune
      } else if (state != null && !listed.containsKey(c.prefix())) {
        unlisted.add(c);
      } else {
        ordered.add(c);
      }
    }
    if (latest != null) {
      ordered.add(latest);
    }

    int split = Math.max(0, ordered.size() - keep);
    List<CheckpointEntry> kept = List.copyOf(ordered.subList(split, ordered.size()));
    List<CheckpointEntry> preserved = new ArrayList<>();
    Double lastPreserved = state != null && state.state().getLastPreservedTimestamp() > 0
        ? state.state().getLastPreservedTimestamp() : null;
    for (CheckpointEntry c : ordered.subList(0, split)) {
      if (keepEveryHours == null) {
        deleted.add(c);
        continue;
      }
      double t = timestamp(c, state, listed);
      if (lastPreserved == null || t - lastPreserved >= keepEveryHours * 3600) {
        preserved.add(c);
        lastPreserved = t;
      } else {
        deleted.add(c);
      }
    }

    CheckpointState newState = null;
    if (state != null) {
      CheckpointState old = state.state();
      boolean withTimes = old.getAllModelCheckpointTimestampsCount() == old.getAllModelCheckpointPathsCount()
          && old.getAllModelCheckpointTimestampsCount() > 0;
      CheckpointState.Builder b = old.toBuilder().clearAllModelCheckpointPaths().clearAllModelCheckpointTimestamps();
      for (CheckpointEntry c : kept) {
        Integer i = listed.get(c.prefix());
        b.addAllModelCheckpointPaths(i != null ? old.getAllModelCheckpointPaths(i) : directory.relativize(c.prefix()));
        if (withTimes) {
          b.addAllModelCheckpointTimestamps(timestamp(c, state, listed));
        }
      }
      if (!preserved.isEmpty()) {
        b.setLastPreservedTimestamp(lastPreserved);
      }
      newState = b.build();
    }
    return new PrunePlan(directory, kept, List.copyOf(preserved), List.copyOf(unlisted), List.copyOf(deleted), newState,
        stateVersion);
  }

  private double timestamp(CheckpointEntry c, CheckpointStateFile state, Map<Location, Integer> listed) {
    Integer i = listed.get(c.prefix());
    if (state != null && i != null && state.state().getAllModelCheckpointTimestampsCount() > i) {
      return state.state().getAllModelCheckpointTimestamps(i);
    }
    Location index = BundleFiles.index(c.prefix());
    return storage.capability(FileTimes.class, index).flatMap(t -> t.lastModified(index))
        .map(t -> t.toEpochMilli() / 1000.0)
        .orElseThrow(() -> new WrongInputException("--keep-every-hours needs the time of each checkpoint, but neither "
            + "the checkpoint state file nor the storage knows when " + c.prefix() + " was written"));
  }

  /** Carries out the plan: the state file first, then the deleted checkpoints' files, each index last. */
  public void apply(PrunePlan plan) {
    if (plan.newState() != null && !plan.deleted().isEmpty() || plan.newState() != null && !plan.preserved().isEmpty()) {
      Location stateFile = plan.directory().resolve(CheckpointStateFile.NAME);
      try {
        CheckpointStateFile.writeIf(storage, stateFile, plan.stateVersion(), plan.newState());
      } catch (ConcurrentWriteException e) {
        // a checkpoint was saved (or another prune ran) since the plan was made: deleting now could remove what
        // the new state file lists, so nothing is deleted
        throw new ConcurrentWriteException(stateFile, "The checkpoint state file " + stateFile + " changed while "
            + "prune was planning (a checkpoint was saved, or another prune ran); nothing was deleted. Run prune again.");
      }
    }
    for (CheckpointEntry c : plan.deleted()) {
      Location index = BundleFiles.index(c.prefix());
      for (FileEntry f : c.files()) {
        if (!f.location().equals(index)) {
          storage.delete(f.location());
        }
      }
      storage.delete(index);
    }
  }
}
