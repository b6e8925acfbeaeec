package io.tfgw.converters.convert;

/**
 * How {@link CheckpointConverter} converts.
 *
 * @param format {@code v1} or {@code v2}
 * @param names filters and renames
 * @param mergePartitions write partitioned variables whole instead of slice by slice
 * @param all convert every checkpoint a {@code checkpoint} state file lists, not only the latest
 * @param carryMeta write the source's {@code .meta} next to the result (adapted to the format)
 * @param maxShardBytes split V2 data into shards of at most this many bytes; 0 for one shard
 * @param destinationIsDirectory write into the destination as a directory (keep source checkpoint names)
 */
public record ConvertOptions(String format, NamePlan names, boolean mergePartitions, boolean all, boolean carryMeta,
    long maxShardBytes, boolean destinationIsDirectory) {

  /** Defaults for converting to {@code format} ({@code v1} or {@code v2}): every tensor under its own name, partitions kept, the latest checkpoint only, {@code .meta} carried, one shard. */
  public static ConvertOptions to(String format) {
    return new ConvertOptions(format, new NamePlan(), false, false, true, 0, false);
  }

  /** These options with the given filters and renames. */
  public ConvertOptions withNames(NamePlan plan) {
    return new ConvertOptions(format, plan, mergePartitions, all, carryMeta, maxShardBytes, destinationIsDirectory);
  }

  /** These options, writing partitioned variables whole when {@code v}. */
  public ConvertOptions withMergePartitions(boolean v) {
    return new ConvertOptions(format, names, v, all, carryMeta, maxShardBytes, destinationIsDirectory);
  }

  /** These options, converting every checkpoint of the state file when {@code v}. */
  public ConvertOptions withAll(boolean v) {
    return new ConvertOptions(format, names, mergePartitions, v, carryMeta, maxShardBytes, destinationIsDirectory);
  }

  /** These options, writing the source's {@code .meta} beside the result when {@code v}. */
  public ConvertOptions withCarryMeta(boolean v) {
    return new ConvertOptions(format, names, mergePartitions, all, v, maxShardBytes, destinationIsDirectory);
  }

  /** These options with V2 data shards of at most {@code v} bytes (0: one shard). */
  public ConvertOptions withMaxShardBytes(long v) {
    return new ConvertOptions(format, names, mergePartitions, all, carryMeta, v, destinationIsDirectory);
  }

  /** These options, treating the destination as a directory when {@code v}. */
  public ConvertOptions withDestinationIsDirectory(boolean v) {
    return new ConvertOptions(format, names, mergePartitions, all, carryMeta, maxShardBytes, v);
  }
}
