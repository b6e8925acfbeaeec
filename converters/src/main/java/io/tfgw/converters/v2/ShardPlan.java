package io.tfgw.converters.v2;

/**
 * Which data shard each tensor goes to when shards are limited in size: tensors fill shards in order, a new shard
 * starting when the next tensor would push the current one past the limit (a tensor larger than the limit gets a
 * shard of its own). The shard count must be known before writing because it is part of every data file's name.
 */
public record ShardPlan(int[] shardOf, int numShards) {
  public static ShardPlan bySize(long[] sizes, long maxShardBytes) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("the shard size limit must be positive");
    }
    int[] shardOf = new int[sizes.length];
    int shard = 0;
    long used = 0;
    boolean empty = true;
    for (int i = 0; i < sizes.length; i++) {
      if (!empty && used + sizes[i] > maxShardBytes) {
        shard++;
        used = 0;
      }
      shardOf[i] = shard;
      used += sizes[i];
      empty = false;
    }
    return new ShardPlan(shardOf, shard + 1);
  }

  public static ShardPlan single(int count) {
    return new ShardPlan(new int[count], 1);
  }
}
