package io.tfgw.converters.manage;

import io.tfgw.core.storage.Location;
import io.tfgw.proto.CheckpointState;
import java.util.List;
import java.util.Optional;

/**
 * What {@code prune} will do: the checkpoints kept as the most recent ones, those kept because of
 * {@code --keep-every-hours}, those left alone because the state file does not list them (TF's Saver does not
 * manage them either), those deleted, and the new state file (null when the directory has none) with the
 * version of the state file it was computed from (see {@code CheckpointStateFile.version}).
 */
public record PrunePlan(Location directory, List<CheckpointEntry> kept, List<CheckpointEntry> preserved,
    List<CheckpointEntry> unlisted, List<CheckpointEntry> deleted, CheckpointState newState,
    Optional<String> stateVersion) {}
