package io.tfgw.converters.v2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShardPlanTest {
  @Test
  void fillsShardsInOrderUpToTheLimit() {
    ShardPlan p = ShardPlan.bySize(new long[] {40, 50, 20, 100, 5, 5}, 100);
    assertThat(p.shardOf()).containsExactly(0, 0, 1, 2, 3, 3);
    assertThat(p.numShards()).isEqualTo(4);
    assertThat(ShardPlan.bySize(new long[0], 10).numShards()).isEqualTo(1);
    assertThat(ShardPlan.bySize(new long[] {500}, 10).shardOf()).containsExactly(0);
  }
}
