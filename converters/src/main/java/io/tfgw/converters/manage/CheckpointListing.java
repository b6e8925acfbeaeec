package io.tfgw.converters.manage;

import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import java.util.List;

/**
 * What a directory holds: its checkpoints (oldest first), the latest one's prefix as the state file names it (null
 * without a state file), every file that belongs to no checkpoint, and warnings about incomplete checkpoints.
 */
public record CheckpointListing(Location directory, List<CheckpointEntry> checkpoints, Location latest,
    List<FileEntry> otherFiles, List<String> warnings) {}
