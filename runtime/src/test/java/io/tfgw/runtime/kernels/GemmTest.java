package io.tfgw.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector GEMM kernel against the scalar one: the same bits for every shape (tails of rows and of columns, k of
 * 1), every split of the rows, and values that stress rounding (mixed magnitudes, signed zeros, denormal products).
 * The oracle tests in fixtures judge both against TensorFlow; this pins that switching kernels changes nothing.
 */
class GemmTest {
  private static float[] values(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      switch (rnd.nextInt(8)) {
        case 0 -> v[i] = -0f;
        case 1 -> v[i] = (float) (rnd.nextGaussian() * 1e-20);
        case 2 -> v[i] = (float) (rnd.nextGaussian() * 1e6);
        default -> v[i] = (float) rnd.nextGaussian();
      }
    }
    return v;
  }

  @Test
  void vectorKernelGivesTheScalarKernelsBits() {
    assertTrue(Gemm.VECTOR, "the tests run with --add-modules jdk.incubator.vector (see the parent pom's surefire "
        + "argLine), so the vector kernel is the one under test");
    Random rnd = new Random(19);
    int[][] shapes = {{1, 1, 8}, {4, 1, 8}, {5, 3, 31}, {7, 27, 32}, {64, 288, 64}, {13, 100, 65}, {9, 784, 100},
        {3, 5, 200}, {16, 4096, 128}};
    for (int[] s : shapes) {
      int m = s[0];
      int k = s[1];
      int n = s[2];
      float[] a = values(rnd, m * k + 3);
      float[] b = values(rnd, k * n + 5);
      float[] expected = new float[m * n + 2];
      Gemm.gemmRows(a, 3, Gemm.packScalar(b, 5, k, n), expected, 2, 0, m);
      Gemm.PackedMatrix packed = Gemm.pack(b, 5, k, n);
      assertTrue(packed.vectorized(), "vector form for " + n + " columns");
      float[] whole = new float[m * n + 2];
      Gemm.gemmRows(a, 3, packed, whole, 2, 0, m);
      assertArrayEquals(expected, whole, "m=" + m + " k=" + k + " n=" + n);
      // any split of the rows (the threads' chunks) computes each element alike
      float[] split = new float[m * n + 2];
      for (int lo = 0; lo < m; ) {
        int hi = Math.min(m, lo + 1 + rnd.nextInt(6));
        Gemm.gemmRows(a, 3, packed, split, 2, lo, hi);
        lo = hi;
      }
      assertArrayEquals(expected, split, "split rows, m=" + m + " k=" + k + " n=" + n);
    }
  }

  @Test
  void tilesFinishedInRegistersMatchTheEpilogueOnTheStoredProduct() {
    Random rnd = new Random(20);
    int m = 11;
    int k = 9;
    int n = 45;
    // tiny factors: sums that are denormal (flushed to a signed zero before the bias) and exact zeros of either sign
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * ((i / k) % 2 == 0 ? 1e-20 : 1));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rnd.nextInt(5) == 0 ? -0f : (float) (rnd.nextGaussian() * ((i % n) % 2 == 0 ? 1e-20 : 1));
    }
    a[5] = Float.NaN;
    float[] bias = new float[n];
    for (int j = 0; j < n; j++) {
      bias[j] = j % 3 == 0 ? 0f : j % 3 == 1 ? -0f : (float) rnd.nextGaussian();
    }
    for (String activation : new String[] {null, "Relu"}) {
      Epilogue e = Epilogue.of(io.tfgw.runtime.Tensor.ofFloats(new long[] {n}, bias), activation);
      assertTrue(e.fitsVectorTile());
      float[] expected = new float[m * n];
      Gemm.gemmRows(a, 0, Gemm.packScalar(b, 0, k, n), expected, 0, 0, m);
      e.apply(expected, 0, expected.length);
      float[] actual = new float[m * n];
      Gemm.gemmRowsFinished(a, 0, Gemm.pack(b, 0, k, n), actual, 0, 0, m, e);
      for (int i = 0; i < actual.length; i++) {
        org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(expected[i]),
            Float.floatToRawIntBits(actual[i]), activation + " element " + i);
      }
    }
  }
}
