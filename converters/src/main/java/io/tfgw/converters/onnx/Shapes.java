package io.tfgw.converters.onnx;

/** Static shape arithmetic for the exporter: -1 is an unknown dimension, null an unknown rank. */
final class Shapes {
  private Shapes() {}

  /** NumPy broadcasting of two shapes. */
  static long[] broadcast(long[] a, long[] b) {
    if (a == null || b == null) {
      return null;
    }
    int r = Math.max(a.length, b.length);
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      long x = i < r - a.length ? 1 : a[i - (r - a.length)];
      long y = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (x == 1) {
        out[i] = y;
      } else if (y == 1) {
        out[i] = x;
      } else if (x == -1 || y == -1) {
        out[i] = Math.max(x, y) > 1 ? Math.max(x, y) : -1;
      } else {
        out[i] = x;
      }
    }
    return out;
  }

  static long[] broadcast(long[] a, long[] b, long[] c) {
    return broadcast(broadcast(a, b), c);
  }

  /** The size of a spatial output of a window op (TF's rule for SAME and VALID); -1 when the input is unknown. */
  static long windowOut(long in, long k, long stride, long dilation, boolean same) {
    if (in < 0) {
      return -1;
    }
    long eff = (k - 1) * dilation + 1;
    return same ? (in + stride - 1) / stride : (in - eff + stride) / stride;
  }

  /** TF's SAME padding of one spatial axis: {before, after}. */
  static long[] samePads(long in, long k, long stride, long dilation) {
    long out = (in + stride - 1) / stride;
    long eff = (k - 1) * dilation + 1;
    long total = Math.max(0, (out - 1) * stride + eff - in);
    return new long[] {total / 2, total - total / 2};
  }

  static int normAxis(long axis, int rank) {
    return (int) (axis < 0 ? axis + rank : axis);
  }

  static long numElements(long[] s) {
    if (s == null) {
      return -1;
    }
    long n = 1;
    for (long d : s) {
      if (d < 0) {
        return -1;
      }
      n *= d;
    }
    return n;
  }

  static long[] unknown(int rank) {
    long[] s = new long[rank];
    java.util.Arrays.fill(s, -1);
    return s;
  }
}
