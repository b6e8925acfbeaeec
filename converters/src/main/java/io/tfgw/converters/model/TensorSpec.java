package io.tfgw.converters.model;

import io.tfgw.core.tensor.DType;
import java.util.Arrays;

/**
 * A model input or output as a signature (or a Placeholder) declares it.
 *
 * @param tensorName the graph tensor, {@code op:index}
 * @param dtype its dtype, null when not declared
 * @param shape its dimensions with -1 for unknown ones; null when even the rank is unknown
 */
public record TensorSpec(String tensorName, DType dtype, long[] shape) {
  public TensorSpec {
    shape = shape == null ? null : shape.clone();
  }

  @Override
  public long[] shape() {
    return shape == null ? null : shape.clone();
  }

  /** {@code float32[?, 3]}, {@code int64[?]}, {@code float32<unknown rank>}. */
  public String describe() {
    String d = dtype == null ? "?" : dtype.pythonName();
    if (shape == null) {
      return d + "<unknown rank>";
    }
    return d + Arrays.toString(shape).replace("-1", "?");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && t.tensorName.equals(tensorName) && t.dtype == dtype
        && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return tensorName.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return tensorName + " " + describe();
  }
}
