package io.tfgw.converters.manage;

import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import java.util.List;

/**
 * One V2 checkpoint in a directory: its prefix, the global step parsed from a {@code -NNN} suffix (null when the
 * name has none), its files, their total size, whether the {@code checkpoint} state file names it as the latest,
 * whether all its data shards are present, and which are missing (empty when complete, or when not even the index
 * can tell).
 */
public record CheckpointEntry(Location prefix, Long step, List<FileEntry> files, long bytes, boolean latest,
    boolean complete, List<Location> missingFiles) {
  public String name() {
    return prefix.fileName();
  }
}
