package io.tfgw.core.tensor;

import java.util.List;

/**
 * What a checkpoint says about one variable: name, dtype, full shape and, for a partitioned variable, the slices it
 * is stored as (empty otherwise).
 */
public record TensorInfo(String name, DType dtype, Shape shape, List<TensorSlice> slices) {
  public TensorInfo {
    slices = List.copyOf(slices);
  }

  public TensorInfo(String name, DType dtype, Shape shape) {
    this(name, dtype, shape, List.of());
  }

  public boolean isPartitioned() {
    return !slices.isEmpty();
  }

  /** Shape-and-slice specs ({@code "4 8 0,2:-"}) of the slices, as the CLI contract prints them. */
  public List<String> sliceSpecs() {
    return slices.stream().map(s -> s.toShapeAndSlice(shape)).toList();
  }
}
