package io.tfgw.runtime.kernels;

/**
 * Matrix products with a fixed accumulation order: every output element is {@code ((0 + a0*b0) + a1*b1) + ...}
 * over k in increasing order, each product rounded before the add (no fused multiply-add), as Eigen's GEBP kernel
 * does within one depth block. Blocking and threads change only which elements are computed together, never the
 * order of one element's additions, so results are identical for any number of threads.
 */
public final class Gemm {
  private Gemm() {}

  /**
   * Whether float products run on the Vector API kernel ({@link VectorGemm}): when the JVM was started with
   * {@code --add-modules jdk.incubator.vector} (an incubator module in JDK 17 to 25, so never resolved by default),
   * unless {@code -Dtfgw.vector=false}. Both kernels give the same bits; the vector one is several times faster.
   */
  public static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !"false".equals(System.getProperty("tfgw.vector"));

  /**
   * C rows [rowLo, rowHi) = A x B as {@link #gemmRows(float[], int, PackedMatrix, float[], int, int, int)}, then
   * denormals flushed and {@code epilogue} applied (null: flush only): by the vector kernel on each tile it has just
   * stored when it can, else over the rows just computed, still in cache.
   */
  static void gemmRowsFinished(float[] a, int aOff, PackedMatrix b, float[] c, int cOff, int rowLo, int rowHi,
      Epilogue epilogue) {
    if (b.blocks != null && epilogue != null && epilogue.fitsVectorTile()) {
      VectorGemm.gemmRows(a, aOff, b.blocks, b.k, b.n, c, cOff, rowLo, rowHi, epilogue.bias(), epilogue.relu());
      return;
    }
    gemmRows(a, aOff, b, c, cOff, rowLo, rowHi);
    if (epilogue != null) {
      epilogue.apply(c, cOff + rowLo * b.n, cOff + rowHi * b.n);
    } else {
      Denormals.flush(c, cOff + rowLo * b.n, cOff + rowHi * b.n);
    }
  }

    /** Vector blocks are worth it from one full vector of columns; narrower products stay scalar. */
  static final int VECTOR_MIN_COLUMNS = 8;

  /**
   * The right-hand matrix of a product, cut into column panels of at most {@value #PANEL} columns with every row of a
   * panel in its own array. Why: C2 (JDK 17) vectorizes {@code c[j] += a * b[j]} only when every array in the loop is
   * indexed from the same base; with a row offset into one flat array it falls back to scalar code (5x slower).
   * Packing costs one copy of B, shared by every row of A and every thread.
   */
  public static final class PackedMatrix {
    /** The scalar kernel's form: column panels, one array per row of a panel. */
    private final float[][][] panels;
    /** The vector kernel's form ({@link VectorGemm#pack}), or null. */
    private final float[] blocks;
    private final int k;
    private final int n;

    private PackedMatrix(float[][][] panels, float[] blocks, int k, int n) {
      this.panels = panels;
      this.blocks = blocks;
      this.k = k;
      this.n = n;
    }

    /** Whether the vector kernel runs products with this matrix. */
    public boolean vectorized() {
      return blocks != null;
    }
  }

  static final int PANEL = 512;

  /** Packs B[K,N] (row-major from {@code bOff}) for {@link #gemmRows(float[], int, PackedMatrix, float[], int, int, int)}. */
  public static PackedMatrix pack(float[] b, int bOff, int k, int n) {
    if (VECTOR && n >= VECTOR_MIN_COLUMNS) {
      return new PackedMatrix(null, VectorGemm.pack(b, bOff, k, n), k, n);
    }
    return packScalar(b, bOff, k, n);
  }

  /** The scalar kernel's packing, whatever {@link #VECTOR} says (tests compare the two kernels). */
  static PackedMatrix packScalar(float[] b, int bOff, int k, int n) {
    float[][][] panels = new float[(n + PANEL - 1) / PANEL][][];
    for (int p = 0; p < panels.length; p++) {
      int j0 = p * PANEL;
      int w = Math.min(PANEL, n - j0);
      float[][] rows = new float[k][];
      for (int kk = 0; kk < k; kk++) {
        rows[kk] = java.util.Arrays.copyOfRange(b, bOff + kk * n + j0, bOff + kk * n + j0 + w);
      }
      panels[p] = rows;
    }
    return new PackedMatrix(panels, null, k, n);
  }

  /** B given as its K rows of at most {@value #PANEL} columns each, already separate arrays (taken, not copied). */
  public static PackedMatrix packedColumns(float[][] rows, int n) {
    if (n > PANEL) {
      throw new IllegalArgumentException("a packed row holds at most " + PANEL + " columns, not " + n);
    }
    return new PackedMatrix(new float[][][] {rows}, null, rows.length, n);
  }

  /** C[M,N] = A[M,K] * B, A and C row-major, C overwritten; rows [rowLo, rowHi) only. */
  public static void gemmRows(float[] a, int aOff, PackedMatrix b, float[] c, int cOff, int rowLo, int rowHi) {
    if (b.blocks != null) {
      VectorGemm.gemmRows(a, aOff, b.blocks, b.k, b.n, c, cOff, rowLo, rowHi);
      return;
    }
    int k = b.k;
    int n = b.n;
    for (int p = 0; p < b.panels.length; p++) {
      float[][] panel = b.panels[p];
      int j0 = p * PANEL;
      int w = Math.min(PANEL, n - j0);
      float[] c0 = new float[w];
      float[] c1 = new float[w];
      float[] c2 = new float[w];
      float[] c3 = new float[w];
      int i = rowLo;
      for (; i + 4 <= rowHi; i += 4) {
        java.util.Arrays.fill(c0, 0f);
        java.util.Arrays.fill(c1, 0f);
        java.util.Arrays.fill(c2, 0f);
        java.util.Arrays.fill(c3, 0f);
        int a0 = aOff + i * k;
        for (int kk = 0; kk < k; kk++) {
          rows4(c0, c1, c2, c3, panel[kk], a[a0 + kk], a[a0 + k + kk], a[a0 + 2 * k + kk], a[a0 + 3 * k + kk]);
        }
        System.arraycopy(c0, 0, c, cOff + i * n + j0, w);
        System.arraycopy(c1, 0, c, cOff + (i + 1) * n + j0, w);
        System.arraycopy(c2, 0, c, cOff + (i + 2) * n + j0, w);
        System.arraycopy(c3, 0, c, cOff + (i + 3) * n + j0, w);
      }
      for (; i < rowHi; i++) {
        java.util.Arrays.fill(c0, 0f);
        int ai = aOff + i * k;
        for (int kk = 0; kk < k; kk++) {
          row1(c0, panel[kk], a[ai + kk]);
        }
        System.arraycopy(c0, 0, c, cOff + i * n + j0, w);
      }
    }
  }

  /** One step of k for four rows: each product rounded, then added (Java never fuses them). */
  private static void rows4(float[] c0, float[] c1, float[] c2, float[] c3, float[] bk, float v0, float v1, float v2,
      float v3) {
    for (int j = 0; j < bk.length; j++) {
      float bv = bk[j];
      c0[j] += v0 * bv;
      c1[j] += v1 * bv;
      c2[j] += v2 * bv;
      c3[j] += v3 * bv;
    }
  }

  private static void row1(float[] c0, float[] bk, float v0) {
    for (int j = 0; j < bk.length; j++) {
      c0[j] += v0 * bk[j];
    }
  }

  /** C[M,N] = A[M,K] * B[K,N], all row-major, C overwritten; rows [rowLo, rowHi) only. */
  static void gemmRows(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int n, int rowLo,
      int rowHi) {
    if (rowHi - rowLo >= 4) {
      gemmRows(a, aOff, pack(b, bOff, k, n), c, cOff, rowLo, rowHi);
      return;
    }
    for (int i = rowLo; i < rowHi; i++) {
      int ci = cOff + i * n;
      int ai = aOff + i * k;
      java.util.Arrays.fill(c, ci, ci + n, 0f);
      for (int kk = 0; kk < k; kk++) {
        float av = a[ai + kk];
        int bk = bOff + kk * n;
        for (int j = 0; j < n; j++) {
          c[ci + j] += av * b[bk + j];
        }
      }
    }
  }

  /** C = A * B for row-major float matrices; parallel over rows (or column blocks when there are few rows). */
  public static void gemm(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n) {
    long cost = (long) k * n;
    if (m >= 4) {
      gemm(a, aOff, pack(b, bOff, k, n), c, cOff, m);
    } else if ((long) m * cost < (1 << 18)) {
      gemmRows(a, aOff, b, bOff, c, cOff, k, n, 0, m);
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

  /** C = A * B with B already packed; parallel over rows. */
  public static void gemm(float[] a, int aOff, PackedMatrix b, float[] c, int cOff, int m) {
    Parallel.forRangeCost(m, (long) b.k * b.n, (lo, hi) -> gemmRows(a, aOff, b, c, cOff, lo, hi));
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
