package io.tfgw.runtime.kernels;

/** Copies between Java arrays of any element type with strides: the data movement under reshaping ops. */
final class Strided {
  private Strided() {}

  /**
   * Fills {@code dst[dstOffset ...]} in row-major order of {@code dims} from {@code src} at
   * {@code srcOffset + sum(idx[d] * srcStrides[d])}. Strides may be 0 (broadcast) or negative (reverse).
   */
  static void copy(Object src, int srcOffset, int[] srcStrides, Object dst, int dstOffset, int[] dims) {
    int rank = dims.length;
    long total = 1;
    for (int d : dims) {
      total *= d;
    }
    if (total == 0) {
      return;
    }
    if (rank == 0) {
      System.arraycopy(src, srcOffset, dst, dstOffset, 1);
      return;
    }
    int inner = dims[rank - 1];
    int innerStride = srcStrides[rank - 1];
    int[] idx = new int[rank];
    int s = srcOffset;
    int o = dstOffset;
    int outer = (int) (total / inner);
    for (int run = 0; run < outer; run++) {
      copyRun(src, s, innerStride, dst, o, inner);
      o += inner;
      for (int d = rank - 2; d >= 0; d--) {
        idx[d]++;
        s += srcStrides[d];
        if (idx[d] < dims[d]) {
          break;
        }
        s -= srcStrides[d] * dims[d];
        idx[d] = 0;
      }
    }
  }

  /** {@code len} elements from src at {@code s, s+stride, ...} to dst at {@code o, o+1, ...}. */
  static void copyRun(Object src, int s, int stride, Object dst, int o, int len) {
    if (stride == 1) {
      System.arraycopy(src, s, dst, o, len);
    } else if (src instanceof float[] a) {
      float[] b = (float[]) dst;
      for (int k = 0; k < len; k++) {
        b[o + k] = a[s + k * stride];
      }
    } else if (src instanceof int[] a) {
      int[] b = (int[]) dst;
      for (int k = 0; k < len; k++) {
        b[o + k] = a[s + k * stride];
      }
    } else if (src instanceof long[] a) {
      long[] b = (long[]) dst;
      for (int k = 0; k < len; k++) {
        b[o + k] = a[s + k * stride];
      }
    } else if (src instanceof double[] a) {
      double[] b = (double[]) dst;
      for (int k = 0; k < len; k++) {
        b[o + k] = a[s + k * stride];
      }
    } else if (src instanceof boolean[] a) {
      boolean[] b = (boolean[]) dst;
      for (int k = 0; k < len; k++) {
        b[o + k] = a[s + k * stride];
      }
    } else {
      for (int k = 0; k < len; k++) {
        System.arraycopy(src, s + k * stride, dst, o + k, 1);
      }
    }
  }

  /** Row-major strides of dims. */
  static int[] strides(long[] dims) {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= (int) dims[i];
    }
    return s;
  }

  static int[] ints(long[] dims) {
    int[] out = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = Math.toIntExact(dims[i]);
    }
    return out;
  }
}
