package io.tfgw.core.runtime.kernels;

/**
 * Matrix products with a fixed accumulation order: every output element is {@code ((0 + a0*b0) + a1*b1) + ...}
 * over k in increasing order, each product rounded before the add (no fused multiply-add), as Eigen's GEBP kernel
 * does within one depth block. Blocking and threads change only which elements are computed together, never the
 * order of one element's additions, so results are identical for any number of threads.
 */
public final class Gemm {
  private static final int BLOCK_K = 128;
  private static final int BLOCK_N = 512;

  private Gemm() {}

  /** C[M,N] = A[M,K] * B[K,N], all row-major, C overwritten; rows [rowLo, rowHi) only. */
  static void gemmRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int n, int rowLo,
      int rowHi) {
    for (int i = rowLo; i < rowHi; i++) {
      java.util.Arrays.fill(c, cOff + i * n, cOff + i * n + n, 0f);
    }
    for (int k0 = 0; k0 < k; k0 += BLOCK_K) {
      int k1 = Math.min(k, k0 + BLOCK_K);
      for (int j0 = 0; j0 < n; j0 += BLOCK_N) {
        int j1 = Math.min(n, j0 + BLOCK_N);
        int i = rowLo;
        for (; i + 4 <= rowHi; i += 4) {
          int c0 = cOff + i * n;
          int c1 = c0 + n;
          int c2 = c1 + n;
          int c3 = c2 + n;
          int a0 = aOff + i * k;
          for (int kk = k0; kk < k1; kk++) {
            float v0 = a[a0 + kk];
            float v1 = a[a0 + k + kk];
            float v2 = a[a0 + 2 * k + kk];
            float v3 = a[a0 + 3 * k + kk];
            int bk = bOff + kk * n;
            for (int j = j0; j < j1; j++) {
              float bv = b[bk + j];
              c[c0 + j] += v0 * bv;
              c[c1 + j] += v1 * bv;
              c[c2 + j] += v2 * bv;
              c[c3 + j] += v3 * bv;
            }
          }
        }
        for (; i < rowHi; i++) {
          int ci = cOff + i * n;
          int ai = aOff + i * k;
          for (int kk = k0; kk < k1; kk++) {
            float av = a[ai + kk];
            int bk = bOff + kk * n;
            for (int j = j0; j < j1; j++) {
              c[ci + j] += av * b[bk + j];
            }
          }
        }
      }
    }
  }

  /** C = A * B for row-major float matrices; parallel over rows (or column blocks when there are few rows). */
  public static void gemm(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n) {
    long cost = (long) k * n;
    if (m >= 4 || (long) m * cost < (1 << 18)) {
      Parallel.forRangeCost(m, cost, (lo, hi) -> gemmRows(a, aOff, b, bOff, c, cOff, k, n, lo, hi));
    } else {
      // few rows, wide output: split the columns
      int blocks = (n + 255) / 256;
      Parallel.forRangeCost(blocks, (long) m * k * 256, (lo, hi) -> {
        int j0 = lo * 256;
        int j1 = Math.min(n, hi * 256);
        for (int i = 0; i < m; i++) {
          java.util.Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0f);
          for (int kk = 0; kk < k; kk++) {
            float av = a[aOff + i * k + kk];
            int bk = bOff + kk * n;
            int ci = cOff + i * n;
            for (int j = j0; j < j1; j++) {
              c[ci + j] += av * b[bk + j];
            }
          }
        }
      });
    }
  }

  public static void gemm(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int k, int n) {
    Parallel.forRangeCost(m, (long) k * n, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        int ci = cOff + i * n;
        java.util.Arrays.fill(c, ci, ci + n, 0d);
        for (int kk = 0; kk < k; kk++) {
          double av = a[aOff + i * k + kk];
          int bk = bOff + kk * n;
          for (int j = 0; j < n; j++) {
            c[ci + j] += av * b[bk + j];
          }
        }
      }
    });
  }
}
