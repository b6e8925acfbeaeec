package io.tfgw.core.tensor;

import io.tfgw.core.CorruptInputException;
import java.util.Arrays;
import java.util.List;

/** A fully known tensor shape. Scalars have rank 0; dimensions may be 0. */
public final class Shape {
  private static final Shape SCALAR = new Shape(new long[0]);

  private final long[] dims;

  private Shape(long[] dims) {
    this.dims = dims;
  }

  public static Shape scalar() {
    return SCALAR;
  }

  public static Shape of(long... dims) {
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
      }
    }
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  public static Shape of(List<Long> dims) {
    return of(dims.stream().mapToLong(Long::longValue).toArray());
  }

  public int rank() {
    return dims.length;
  }

  public long dim(int i) {
    return dims[i];
  }

  public long[] dims() {
    return dims.clone();
  }

  /**
   * Number of elements; {@link CorruptInputException} when it overflows a long (a corrupt shape must not make us
   * allocate or loop forever).
   */
  public long numElements() {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** numElements * elementSize, checked. */
  public long byteSize(DType dtype) {
    try {
      return Math.multiplyExact(numElements(), (long) dtype.elementSize());
    } catch (ArithmeticException e) {
      throw new CorruptInputException("shape " + this + " of " + dtype + " overflows a 64-bit byte count");
    }
  }

  /** Row-major strides in elements. */
  public long[] strides() {
    long[] s = new long[dims.length];
    long acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  public List<Long> asList() {
    return Arrays.stream(dims).boxed().toList();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Python style: {@code [4, 8]}, {@code []} for a scalar. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(dims[i]);
    }
    return b.append(']').toString();
  }
}
