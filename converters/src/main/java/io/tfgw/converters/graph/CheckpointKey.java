package io.tfgw.converters.graph;

/**
 * Where a graph variable's value is in a checkpoint: the checkpoint tensor name and, for one part of a partitioned
 * variable, TF's shape-and-slice spec ({@code "10 4 0,5:-"}; empty for a whole tensor).
 */
public record CheckpointKey(String tensor, String shapeAndSlice) {
  public boolean isSlice() {
    return !shapeAndSlice.isEmpty();
  }
}
