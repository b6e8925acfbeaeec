package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import java.util.Arrays;

/**
 * NumPy broadcasting of two shapes: the result shape, and the result walked as runs of contiguous output elements
 * with a fixed stride (0 or 1 after dimension collapsing) into each input.
 */
final class Broadcast {
  /** One run: {@code len} output elements from {@code out}, inputs at {@code ia + k*sa}, {@code ib + k*sb}. */
  interface Run {
    void run(int out, int ia, int sa, int ib, int sb, int len);
  }

  final long[] outDims;
  final int outSize;
  private final int[] dims;
  private final int[] sa;
  private final int[] sb;
  private final int outer;

  private Broadcast(long[] outDims, int[] dims, int[] sa, int[] sb) {
    this.outDims = outDims;
    long n = 1;
    for (long d : outDims) {
      n *= d;
    }
    this.outSize = (int) n;
    this.dims = dims;
    this.sa = sa;
    this.sb = sb;
    int o = 1;
    for (int i = 0; i < dims.length - 1; i++) {
      o *= dims[i];
    }
    this.outer = dims.length == 0 ? 1 : o;
  }

  /** The broadcast result shape; throws TF's "Incompatible shapes" error. */
  static long[] shape(long[] a, long[] b) {
    int r = Math.max(a.length, b.length);
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      long da = i < r - a.length ? 1 : a[i - (r - a.length)];
      long db = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else {
        throw new KernelException("Incompatible shapes: " + Arrays.toString(a) + " vs. " + Arrays.toString(b));
      }
    }
    return out;
  }

  static Broadcast of(long[] a, long[] b) {
    long[] out = shape(a, b);
    int r = out.length;
    int[] dims = new int[r];
    int[] sa = new int[r];
    int[] sb = new int[r];
    int accA = 1;
    int accB = 1;
    for (int i = r - 1; i >= 0; i--) {
      dims[i] = (int) out[i];
      long da = i < r - a.length ? 1 : a[i - (r - a.length)];
      long db = i < r - b.length ? 1 : b[i - (r - b.length)];
      sa[i] = da == 1 ? 0 : accA;
      sb[i] = db == 1 ? 0 : accB;
      accA *= (int) da;
      accB *= (int) db;
    }
    // drop size-1 dims, then merge neighbours whose strides continue each other
    int[] cd = new int[r];
    int[] ca = new int[r];
    int[] cb = new int[r];
    int k = 0;
    for (int i = 0; i < r; i++) {
      if (dims[i] == 1) {
        continue;
      }
      if (k > 0 && ca[k - 1] == sa[i] * dims[i] && cb[k - 1] == sb[i] * dims[i]) {
        cd[k - 1] *= dims[i];
        ca[k - 1] = sa[i];
        cb[k - 1] = sb[i];
      } else {
        cd[k] = dims[i];
        ca[k] = sa[i];
        cb[k] = sb[i];
        k++;
      }
    }
    if (k == 0) {
      return new Broadcast(out, new int[] {1}, new int[] {0}, new int[] {0});
    }
    return new Broadcast(out, Arrays.copyOf(cd, k), Arrays.copyOf(ca, k), Arrays.copyOf(cb, k));
  }

  /** Number of runs (the parallelizable unit). */
  int runs() {
    return outSize == 0 ? 0 : outer;
  }

  /** Calls {@code r} for runs [from, to). */
  void forEach(int from, int to, Run r) {
    if (outSize == 0) {
      return;
    }
    int rank = dims.length;
    int inner = dims[rank - 1];
    int[] idx = new int[rank];
    int rem = from;
    int ia = 0;
    int ib = 0;
    for (int d = rank - 2; d >= 0; d--) {
      idx[d] = rem % dims[d];
      rem /= dims[d];
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    for (int run = from; run < to; run++) {
      r.run(run * inner, ia, sa[rank - 1], ib, sb[rank - 1], inner);
      for (int d = rank - 2; d >= 0; d--) {
        idx[d]++;
        ia += sa[d];
        ib += sb[d];
        if (idx[d] < dims[d]) {
          break;
        }
        ia -= sa[d] * dims[d];
        ib -= sb[d] * dims[d];
        idx[d] = 0;
      }
    }
  }

  /** Calls {@code r} for every run, in parallel for large outputs. */
  void forEach(Run r) {
    int runs = runs();
    if (outSize < Parallel.MIN_PARALLEL_ELEMENTS || runs < 2) {
      forEach(0, runs, r);
    } else {
      Parallel.forRange(runs, Math.max(1, Parallel.MIN_PARALLEL_ELEMENTS / Math.max(1, outSize / runs)),
          (lo, hi) -> forEach(lo, hi, r));
    }
  }
}
