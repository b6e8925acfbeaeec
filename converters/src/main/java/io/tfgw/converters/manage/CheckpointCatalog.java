package io.tfgw.converters.manage;

import io.tfgw.converters.resolve.CheckpointStateFile;
import io.tfgw.converters.v2.BundleFiles;
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
 * one the {@code checkpoint} state file names, as TensorFlow's {@code tf.train.latest_checkpoint} decides.
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
    for (Map.Entry<String, List<FileEntry>> g : groups.entrySet()) {
      Location prefix = directory.resolve(g.getKey());
      if (g.getValue().stream().noneMatch(f -> f.location().equals(BundleFiles.index(prefix)))) {
        others.addAll(g.getValue()); // a lone .meta, or data files whose index is gone
        continue;
      }
      Matcher step = STEP.matcher(g.getKey());
      long bytes = g.getValue().stream().mapToLong(FileEntry::length).sum();
      checkpoints.add(new CheckpointEntry(prefix, step.find() ? Long.valueOf(step.group(1)) : null, List.copyOf(g.getValue()),
          bytes, prefix.equals(latest), complete(g.getKey(), g.getValue())));
    }
    checkpoints.sort(Comparator.comparing((CheckpointEntry c) -> c.step() == null ? -1 : c.step())
        .thenComparing(CheckpointEntry::name));
    others.sort(Comparator.comparing(f -> f.location().path()));
    return new CheckpointListing(directory, List.copyOf(checkpoints), latest, List.copyOf(others));
  }

  /** All data shards {@code 0..n-1} named by the {@code -of-n} suffix are present (and at least one). */
  private static boolean complete(String prefix, List<FileEntry> files) {
    int expected = -1;
    java.util.Set<Integer> shards = new java.util.HashSet<>();
    for (FileEntry f : files) {
      Matcher m = MEMBER.matcher(f.location().fileName());
      if (m.matches() && m.group(3) != null) {
        int n = Integer.parseInt(m.group(4));
        if (expected >= 0 && expected != n) {
          return false;
        }
        expected = n;
        shards.add(Integer.parseInt(m.group(3)));
      }
    }
    return expected > 0 && shards.size() == expected;
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
