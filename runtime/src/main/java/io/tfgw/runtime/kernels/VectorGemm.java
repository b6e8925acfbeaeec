package io.tfgw.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float GEMM micro-kernel on the JDK's Vector API: a tile of {@value #ROWS} rows by two vectors of columns kept
 * in registers over the whole depth, B read from blocks packed contiguously. Why: C2's auto-vectorization of
 * {@code c[j] += a * b[j]} loads and stores C on every step of k (one store per multiply-add); here C is stored once
 * per tile, which is what makes the kernel compute-bound (about 8x on a conv net's layers).
 *
 * <p>Same bits as the scalar kernel: every lane computes {@code ((0 + a0*b0) + a1*b1) + ...} in k order with the
 * product rounded before the add ({@code mul} then {@code add}, never {@code fma}), so results do not depend on the
 * tile, the lane count of the machine, or the thread split.
 *
 * <p>Only loaded when the JVM resolves {@code jdk.incubator.vector} (see {@link Gemm#VECTOR}); JDK 17 without
 * {@code --add-modules jdk.incubator.vector} runs the scalar kernel.
 */
final class VectorGemm {
  private VectorGemm() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Columns of one packed block: two vectors per row of a tile. */
  static final int BLOCK = 2 * LANES;
  private static final int ROWS = 4;

  /**
   * B[K,N] (row-major from {@code bOff}) as ceil(N / {@value #BLOCK}) blocks of [K][BLOCK] floats, each block's rows
   * contiguous; the last block's columns beyond N are zero (computed, never stored).
   */
  static float[] pack(float[] b, int bOff, int k, int n) {
    int blocks = (n + BLOCK - 1) / BLOCK;
    float[] packed = new float[blocks * k * BLOCK];
    for (int blk = 0; blk < blocks; blk++) {
      int j0 = blk * BLOCK;
      int w = Math.min(BLOCK, n - j0);
      int dst = blk * k * BLOCK;
      for (int kk = 0; kk < k; kk++) {
        System.arraycopy(b, bOff + kk * n + j0, packed, dst + kk * BLOCK, w);
      }
    }
    return packed;
  }

  /**
   * C[lo..hi) rows = A[lo..hi) rows (row-major [M, K] from {@code aOff}) times packed B[K, N]; C row-major [M, N] from
   * {@code cOff}, overwritten.
   */
  static void gemmRows(float[] a, int aOff, float[] packed, int k, int n, float[] c, int cOff, int lo, int hi) {
    gemmRows(a, aOff, packed, k, n, c, cOff, lo, hi, null, false);
  }

  /**
   * As above, finishing each tile with vector code right after it is stored (still in L1), when {@code bias} is
   * given: denormals flushed, then a fused chain's BiasAdd ({@code flush(x + bias[j])}, bias already flushed) and,
   * with {@code relu}, its Relu; the same bits as {@link Epilogue#apply} on the stored product.
   */
  static void gemmRows(float[] a, int aOff, float[] packed, int k, int n, float[] c, int cOff, int lo, int hi,
      float[] bias, boolean relu) {
    int blocks = (n + BLOCK - 1) / BLOCK;
    Finish finish = null;
    if (bias != null) {
      float[] padded = java.util.Arrays.copyOf(bias, blocks * BLOCK);
      finish = new Finish(padded, relu);
    }
    float[] tail = n % BLOCK == 0 ? null : new float[ROWS * BLOCK];
    // blocks outermost: one block of B (K x BLOCK floats) stays in cache while every row of A passes over it
    for (int blk = 0; blk < blocks; blk++) {
      int j0 = blk * BLOCK;
      int w = Math.min(BLOCK, n - j0);
      int b0 = blk * k * BLOCK;
      int i = lo;
      for (; i + ROWS <= hi; i += ROWS) {
        int ai = aOff + i * k;
        if (w == BLOCK) {
          tile4(a, ai, k, packed, b0, c, cOff + i * n + j0, n, finish, j0);
        } else {
          tile4(a, ai, k, packed, b0, tail, 0, BLOCK, finish, j0);
          for (int r = 0; r < ROWS; r++) {
            System.arraycopy(tail, r * BLOCK, c, cOff + (i + r) * n + j0, w);
          }
        }
      }
      for (; i < hi; i++) {
        int ai = aOff + i * k;
        if (w == BLOCK) {
          tile1(a, ai, k, packed, b0, c, cOff + i * n + j0, finish, j0);
        } else {
          tile1(a, ai, k, packed, b0, tail, 0, finish, j0);
          System.arraycopy(tail, 0, c, cOff + i * n + j0, w);
        }
      }
    }
  }

  /** Four rows of A (from ai, stride k) by one block: eight accumulators in registers over all of k. */
  private static void tile4(float[] a, int ai, int k, float[] packed, int b0, float[] c, int c0, int ldc,
      Finish finish, int j0) {
    FloatVector acc00 = FloatVector.zero(SPECIES);
    FloatVector acc01 = acc00;
    FloatVector acc10 = acc00;
    FloatVector acc11 = acc00;
    FloatVector acc20 = acc00;
    FloatVector acc21 = acc00;
    FloatVector acc30 = acc00;
    FloatVector acc31 = acc00;
    int a1 = ai + k;
    int a2 = a1 + k;
    int a3 = a2 + k;
    int p = b0;
    for (int kk = 0; kk < k; kk++, p += BLOCK) {
      FloatVector lo = FloatVector.fromArray(SPECIES, packed, p);
      FloatVector hi = FloatVector.fromArray(SPECIES, packed, p + LANES);
      float x0 = a[ai + kk];
      float x1 = a[a1 + kk];
      float x2 = a[a2 + kk];
      float x3 = a[a3 + kk];
      acc00 = acc00.add(lo.mul(x0));
      acc01 = acc01.add(hi.mul(x0));
      acc10 = acc10.add(lo.mul(x1));
      acc11 = acc11.add(hi.mul(x1));
      acc20 = acc20.add(lo.mul(x2));
      acc21 = acc21.add(hi.mul(x2));
      acc30 = acc30.add(lo.mul(x3));
      acc31 = acc31.add(hi.mul(x3));
    }
    acc00.intoArray(c, c0);
    acc01.intoArray(c, c0 + LANES);
    acc10.intoArray(c, c0 + ldc);
    acc11.intoArray(c, c0 + ldc + LANES);
    acc20.intoArray(c, c0 + 2 * ldc);
    acc21.intoArray(c, c0 + 2 * ldc + LANES);
    acc30.intoArray(c, c0 + 3 * ldc);
    acc31.intoArray(c, c0 + 3 * ldc + LANES);
    if (finish != null) {
      // a pass of its own over the tile just stored (in L1): inside the loop above, it made the method too large
      // for C2 to keep the accumulators in registers
      for (int r = 0; r < ROWS; r++) {
        finish.apply(c, c0 + r * ldc, j0);
      }
    }
  }

  private static void tile1(float[] a, int ai, int k, float[] packed, int b0, float[] c, int c0, Finish finish,
      int j0) {
    FloatVector acc0 = FloatVector.zero(SPECIES);
    FloatVector acc1 = acc0;
    int p = b0;
    for (int kk = 0; kk < k; kk++, p += BLOCK) {
      float x = a[ai + kk];
      acc0 = acc0.add(FloatVector.fromArray(SPECIES, packed, p).mul(x));
      acc1 = acc1.add(FloatVector.fromArray(SPECIES, packed, p + LANES).mul(x));
    }
    acc0.intoArray(c, c0);
    acc1.intoArray(c, c0 + LANES);
    if (finish != null) {
      finish.apply(c, c0, j0);
    }
  }

  /** A tile's finish in registers: flush, bias, flush, optionally Relu. */
  private record Finish(float[] bias, boolean relu) {
    /** Finishes the block's columns of one stored row, c[c0, c0 + BLOCK), whose first column is j0. */
    void apply(float[] c, int c0, int j0) {
      for (int t = 0; t < BLOCK; t += LANES) {
        FloatVector v = FloatVector.fromArray(SPECIES, c, c0 + t);
        v = flush(flush(v).add(FloatVector.fromArray(SPECIES, bias, j0 + t)));
        if (relu) {
          // Math.max semantics (max(-0, 0) is +0) with a NaN kept bit for bit, as the Relu kernel keeps it
          v = v.max(0f).blend(v, v.test(VectorOperators.IS_NAN));
        }
        v.intoArray(c, c0 + t);
      }
    }
  }

  /** Denormal lanes become zeros of their sign ({@link Denormals#flush(float)}); NaN passes. */
  private static FloatVector flush(FloatVector v) {
    VectorMask<Float> tiny = v.abs().compare(VectorOperators.LT, Float.MIN_NORMAL);
    if (!tiny.anyTrue()) {
      return v;
    }
    FloatVector signedZero = v.reinterpretAsInts().and(0x80000000).reinterpretAsFloats();
    return v.blend(signedZero, tiny);
  }
}
