package io.tfgw.converters.keras;

import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.UnaryOperator;

/**
 * Weight layout conversions Keras applies when loading old files (its {@code preprocess_weights_for_loading}):
 * transposes (Keras 1 / Theano kernel orders) and flips of the spatial axes (Theano's true convolution). Lazy: the
 * source is read when the result is.
 */
final class Kernels {
  private Kernels() {}

  /** numpy's {@code np.transpose(x, perm)}. */
  static TensorData transpose(TensorData source, int... perm) {
    long[] in = source.shape().dims();
    long[] out = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = in[perm[i]];
    }
    return derived(source, Shape.of(out), bytes -> {
      int size = source.dtype().elementSize();
      long[] inStrides = Shape.of(in).strides();
      byte[] result = new byte[bytes.length];
      int rank = perm.length;
      long[] idx = new long[rank];
      long n = Shape.of(out).numElements();
      for (long flat = 0; flat < n; flat++) {
        long src = 0;
        for (int d = 0; d < rank; d++) {
          src += idx[d] * inStrides[perm[d]];
        }
        System.arraycopy(bytes, (int) (src * size), result, (int) (flat * size), size);
        for (int d = rank - 1; d >= 0; d--) {
          if (++idx[d] < out[d]) {
            break;
          }
          idx[d] = 0;
        }
      }
      return result;
    });
  }

  /** Theano's kernels to TensorFlow's: reverse every axis but the last two ({@code conv_utils.convert_kernel}). */
  static TensorData flipSpatial(TensorData source) {
    long[] dims = source.shape().dims();
    return derived(source, source.shape(), bytes -> {
      int size = source.dtype().elementSize();
      long[] strides = Shape.of(dims).strides();
      byte[] result = new byte[bytes.length];
      int rank = dims.length;
      long[] idx = new long[rank];
      long n = source.shape().numElements();
      for (long flat = 0; flat < n; flat++) {
        long src = 0;
        for (int d = 0; d < rank; d++) {
          long i = d < rank - 2 ? dims[d] - 1 - idx[d] : idx[d];
          src += i * strides[d];
        }
        System.arraycopy(bytes, (int) (src * size), result, (int) (flat * size), size);
        for (int d = rank - 1; d >= 0; d--) {
          if (++idx[d] < dims[d]) {
            break;
          }
          idx[d] = 0;
        }
      }
      return result;
    });
  }

  /** The same bytes under another shape ({@code np.reshape}). */
  static TensorData reshape(TensorData source, Shape shape) {
    return derived(source, shape, b -> b);
  }

  private static TensorData derived(TensorData source, Shape shape, UnaryOperator<byte[]> f) {
    return new TensorData() {
      @Override
      public DType dtype() {
        return source.dtype();
      }

      @Override
      public Shape shape() {
        return shape;
      }

      @Override
      public InputStream open() {
        try (InputStream in = source.open()) {
          return new ByteArrayInputStream(f.apply(in.readAllBytes()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }
}
