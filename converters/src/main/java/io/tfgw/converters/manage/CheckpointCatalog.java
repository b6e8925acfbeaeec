package io.tfgw.converters.manage;

import io.tfgw.converters.resolve.CheckpointStateFile;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleReader;
import io.tfgw.core.TfgwException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the checkpoints of a directory on any storage: files are grouped by prefix ({@code P.index},
 * {@code P.data-00000-of-00002}, {@code P.meta}); a group with an index is a checkpoint. The latest one is the
 * one the {@code checkpoint} state file names, as TensorFlow's {@code tf.train.latest_checkpoint} decides. A checkpoint
 * whose data files are not all there is still listed (TF lists its variables from the index too), marked incomplete
 * with the missing files named.
 */
public final class CheckpointCatalog {
  private static final Pattern MEMBER = Pattern.compile("^(.+)\\.(index|meta|data-(\\d{5,})-of-(\\d{5,}))$");
  private static final Pattern STEP = Pattern.compile("-(\\d{1,18})$");

  private final Storage storage;

  public CheckpointCatalog(Storage storage) {
    this.storage = storage;
  }

  public CheckpointListing list(Location directory) {
    List<FileEntry> files = storage.list(directory);
    Map<String, List<FileEntry>> groups = new LinkedHashMap<>();
    List<FileEntry> others = new ArrayList<>();
    for (FileEntry f : files) {
      String rel = directory.relativize(f.location());
      Matcher m = MEMBER.matcher(rel);
      if (!rel.contains("/") && m.matches()) {
        groups.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(f);
      } else {
        others.add(f);
      }
    }
    Location latest = latest(directory);
    List<CheckpointEntry> checkpoints = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<String, List<FileEntry>> g : groups.entrySet()) {
      Location prefix = directory.resolve(g.getKey());
      if (g.getValue().stream().noneMatch(f -> f.location().equals(BundleFiles.index(prefix)))) {
        others.addAll(g.getValue()); // a lone .meta, or data files whose index is gone
        continue;
      }
      Matcher step = STEP.matcher(g.getKey());
      long bytes = g.getValue().stream().mapToLong(FileEntry::length).sum();
      DataFiles data = dataFiles(prefix, g.getValue());
      checkpoints.add(new CheckpointEntry(prefix, step.find() ? Long.valueOf(step.group(1)) : null, List.copyOf(g.getValue()),
          bytes, prefix.equals(latest), data.complete(), data.missing()));
      if (!data.complete()) {
        warnings.add(data.problem());
      }
    }
    checkpoints.sort(Comparator.comparing((CheckpointEntry c) -> c.step() == null ? -1 : c.step())
        .thenComparing(CheckpointEntry::name));
    others.sort(Comparator.comparing(f -> f.location().path()));
    return new CheckpointListing(directory, List.copyOf(checkpoints), latest, List.copyOf(others), List.copyOf(warnings));
  }

  /** Whether a checkpoint's data files are all there, which are not, and the warning when some are not. */
  private record DataFiles(boolean complete, List<Location> missing, String problem) {}

  /**
   * Which data files of the checkpoint are missing. The {@code -of-N} suffix of the data files present names N,
   * so listing needs no reads; only when it cannot (no data file at all, or files of different saves) is N read from
   * the index's header.
   */
  private DataFiles dataFiles(Location prefix, List<FileEntry> files) {
    java.util.Map<Integer, java.util.Set<Integer>> shardsByCount = new java.util.TreeMap<>();
    for (FileEntry f : files) {
      Matcher m = MEMBER.matcher(f.location().fileName());
      if (m.matches() && m.group(3) != null) {
        shardsByCount.computeIfAbsent(Integer.parseInt(m.group(4)), k -> new java.util.HashSet<>())
            .add(Integer.parseInt(m.group(3)));
      }
    }
    int expected;
    if (shardsByCount.size() == 1) {
      expected = shardsByCount.keySet().iterator().next();
    } else {
      try {
        expected = BundleReader.numShardsOf(storage, prefix);
      } catch (TfgwException e) {
        return new DataFiles(false, List.of(), "Checkpoint " + prefix + " has "
            + (shardsByCount.isEmpty() ? "no data files" : "data files of several saves") + " and its index cannot be "
            + "read: " + e.getMessage());
      }
    }
    java.util.Set<Integer> present = shardsByCount.getOrDefault(expected, java.util.Set.of());
    List<Location> missing = new ArrayList<>();
    for (int i = 0; i < expected; i++) {
      if (!present.contains(i)) {
        missing.add(BundleFiles.data(prefix, i, expected));
      }
    }
    return missing.isEmpty() ? new DataFiles(true, List.of(), null)
        : new DataFiles(false, List.copyOf(missing), BundleFiles.missingDataWarning(prefix, expected, missing));
  }

  /** The prefix the state file names as latest, or null without a (readable) state file. */
  private Location latest(Location directory) {
    Location stateFile = directory.resolve(CheckpointStateFile.NAME);
    if (!storage.exists(stateFile)) {
      return null;
    }
    CheckpointStateFile state = CheckpointStateFile.read(storage, stateFile);
    return state.resolve(state.latest(), p -> storage.exists(BundleFiles.index(p)));
  }
}
