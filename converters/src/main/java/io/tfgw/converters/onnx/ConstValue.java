package io.tfgw.converters.onnx;

import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * A constant of the exported graph (an initializer once a node uses it): a value in memory, or a checkpoint
 * variable read only when the file is written, possibly rearranged on the way (a convolution filter to ONNX's
 * layout). Large weights are therefore held one at a time, while they are written.
 */
abstract class ConstValue {
  /** Constants up to this size are read into memory when a mapping needs their values (axes, shapes, folding). */
  static final long MATERIALIZE_LIMIT = 64L << 20;

  abstract DType dtype();

  abstract long[] dims();

  /** The value; reads (and transforms) a lazy constant each time. */
  abstract Tensor materialize();

  /** Writes the little-endian row-major element bytes (ONNX raw_data). */
  abstract void writeTo(OutputStream out) throws IOException;

  long byteSize() {
    return Shape.of(dims()).byteSize(dtype());
  }

  boolean isSmall() {
    return byteSize() <= MATERIALIZE_LIMIT;
  }

  static ConstValue of(Tensor t) {
    return new InMemory(t);
  }

  static ConstValue ofData(Supplier<TensorData> data, DType dtype, long[] dims) {
    return new FromData(data, dtype, dims);
  }

  /** The constant with its axes permuted (y.dims[i] = x.dims[perm[i]]), computed when needed. */
  ConstValue transposed(int[] perm) {
    ConstValue src = this;
    long[] d = dims();
    long[] nd = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      nd[i] = d[perm[i]];
    }
    Supplier<Tensor> make = () -> permute(src.materialize(), perm);
    return this instanceof InMemory ? of(make.get()) : new Derived(dtype(), nd, make);
  }

  /** The constant with new dimensions (same elements in the same order). */
  ConstValue reshaped(long[] newDims) {
    ConstValue src = this;
    Supplier<Tensor> make = () -> src.materialize().reshape(Shape.of(newDims));
    return this instanceof InMemory ? of(make.get()) : new Derived(dtype(), newDims, make);
  }

  static Tensor permute(Tensor t, int[] perm) {
    long[] dims = t.dims();
    int rank = dims.length;
    long[] outDims = new long[rank];
    for (int i = 0; i < rank; i++) {
      outDims[i] = dims[perm[i]];
    }
    if (t.dtype() == DType.STRING) {
      throw new IllegalArgumentException("string constants are not permuted");
    }
    int es = t.dtype().elementSize();
    byte[] src = t.canonicalBytes();
    byte[] dst = new byte[src.length];
    long[] inStrides = Shape.of(dims).strides();
    long[] outStrides = Shape.of(outDims).strides();
    long n = Shape.of(outDims).numElements();
    long[] idx = new long[rank];
    for (long o = 0; o < n; o++) {
      long rem = o;
      long from = 0;
      for (int i = 0; i < rank; i++) {
        idx[i] = rem / outStrides[i];
        rem %= outStrides[i];
        from += idx[i] * inStrides[perm[i]];
      }
      System.arraycopy(src, (int) (from * es), dst, (int) (o * es), es);
    }
    return Tensor.fromCanonical(t.dtype(), Shape.of(outDims), dst);
  }

  private static final class InMemory extends ConstValue {
    private final Tensor value;

    InMemory(Tensor value) {
      this.value = value;
    }

    @Override
    DType dtype() {
      return value.dtype();
    }

    @Override
    long[] dims() {
      return value.dims();
    }

    @Override
    Tensor materialize() {
      return value;
    }

    @Override
    void writeTo(OutputStream out) throws IOException {
      out.write(value.canonicalBytes());
    }
  }

  private static final class FromData extends ConstValue {
    private final Supplier<TensorData> data;
    private final DType dtype;
    private final long[] dims;

    FromData(Supplier<TensorData> data, DType dtype, long[] dims) {
      this.data = data;
      this.dtype = dtype;
      this.dims = dims.clone();
    }

    @Override
    DType dtype() {
      return dtype;
    }

    @Override
    long[] dims() {
      return dims.clone();
    }

    @Override
    Tensor materialize() {
      return Tensor.fromData(data.get());
    }

    @Override
    void writeTo(OutputStream out) throws IOException {
      // canonical bytes of fixed-size dtypes are ONNX's raw_data: streamed, never whole in memory
      try (InputStream in = data.get().open()) {
        in.transferTo(out);
      }
    }
  }

  private static final class Derived extends ConstValue {
    private final DType dtype;
    private final long[] dims;
    private final Supplier<Tensor> make;

    Derived(DType dtype, long[] dims, Supplier<Tensor> make) {
      this.dtype = dtype;
      this.dims = dims.clone();
      this.make = make;
    }

    @Override
    DType dtype() {
      return dtype;
    }

    @Override
    long[] dims() {
      return dims.clone();
    }

    @Override
    Tensor materialize() {
      return make.get();
    }

    @Override
    void writeTo(OutputStream out) throws IOException {
      try {
        out.write(make.get().canonicalBytes());
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
  }
}
