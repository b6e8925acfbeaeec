package io.tfgw.runtime.kernels;

/**
 * {@code logf} and {@code sincosf} exactly as the C library TensorFlow's Linux builds call computes them (glibc
 * 2.28 and later, whose single-precision log and sine/cosine come from Arm's optimized-routines; the x86-64 FMA
 * variants give the same floats over the inputs used here).
 *
 * <p>Why not {@code Math.log}/{@code Math.sin}: TF's normal and truncated-normal samplers (Box-Muller) call these
 * two functions, and they are not correctly rounded: over the 2^23 inputs the samplers can pass, about 0.7% of
 * {@code logf} results and 1.3% of {@code sinf}/{@code cosf} results differ by one ulp from the correctly rounded
 * value. Evaluating the same table-driven polynomials in double (Java's double arithmetic is IEEE, like the C code
 * compiled without contraction) reproduces every bit; this was checked exhaustively against glibc 2.36 for all
 * floats in [1e-7, 1) ({@code logf}) and [2^-12, 2pi] ({@code sincosf}).
 *
 * <p>Provenance: the tables and polynomial coefficients below are the numeric constants of Arm's
 * optimized-routines (MIT OR Apache-2.0 WITH LLVM-exception), which glibc took over unchanged; bit-exact
 * reproduction needs exactly these numbers. No code was copied: the evaluation is written from the algorithm.
 */
final class LibmFloat {
  private LibmFloat() {}

  // logf: x = 2^k z with z in [0x3f330000, 2 * 0x3f330000) split in 16 subintervals; log(x) = k ln2 + log(c) +
  // log1p(z/c - 1) with 1/c and log(c) tabulated per subinterval and log1p as a degree-4 polynomial
  private static final double[] INVC = {
      0x1.661ec79f8f3bep+0, 0x1.571ed4aaf883dp+0, 0x1.49539f0f010bp+0, 0x1.3c995b0b80385p+0,
      0x1.30d190c8864a5p+0, 0x1.25e227b0b8eap+0, 0x1.1bb4a4a1a343fp+0, 0x1.12358f08ae5bap+0,
      0x1.0953f419900a7p+0, 0x1p+0, 0x1.e608cfd9a47acp-1, 0x1.ca4b31f026aap-1,
      0x1.b2036576afce6p-1, 0x1.9c2d163a1aa2dp-1, 0x1.886e6037841edp-1, 0x1.767dcf5534862p-1};
  private static final double[] LOGC = {
      -0x1.57bf7808caadep-2, -0x1.2bef0a7c06ddbp-2, -0x1.01eae7f513a67p-2, -0x1.b31d8a68224e9p-3,
      -0x1.6574f0ac07758p-3, -0x1.1aa2bc79c81p-3, -0x1.a4e76ce8c0e5ep-4, -0x1.1973c5a611cccp-4,
      -0x1.252f438e10c1ep-5, 0x0p+0, 0x1.aa5aa5df25984p-5, 0x1.c5e53aa362eb4p-4,
      0x1.526e57720db08p-3, 0x1.bc2860d22477p-3, 0x1.1058bc8a07ee1p-2, 0x1.4043057b6ee09p-2};
  private static final double LN2 = 0x1.62e42fefa39efp-1;
  private static final double LOG_A0 = -0x1.00ea348b88334p-2;
  private static final double LOG_A1 = 0x1.5575b0be00b6ap-2;
  private static final double LOG_A2 = -0x1.ffffef20a4123p-2;
  private static final int LOG_OFF = 0x3f330000;

  /** The natural logarithm of a float, as glibc's {@code logf}. */
  static float logf(float x) {
    int ix = Float.floatToRawIntBits(x);
    if (ix == 0x3f800000) {
      return 0f;
    }
    if (Integer.compareUnsigned(ix - 0x00800000, 0x7f800000 - 0x00800000) >= 0) {
      if ((ix & 0x7fffffff) == 0) {
        return Float.NEGATIVE_INFINITY;
      }
      if (ix == 0x7f800000) {
        return x;
      }
      if (ix < 0 || (ix & 0x7fffffff) > 0x7f800000) {
        return Float.NaN;
      }
      ix = Float.floatToRawIntBits(x * 0x1p23f) - (23 << 23); // subnormal: normalize
    }
    int tmp = ix - LOG_OFF;
    int i = (tmp >>> 19) & 15;
    int k = tmp >> 23;
    int iz = ix - (tmp & (0x1ff << 23));
    double z = Float.intBitsToFloat(iz);
    double r = z * INVC[i] - 1;
    double y0 = LOGC[i] + k * LN2;
    double r2 = r * r;
    double y = LOG_A1 * r + LOG_A2;
    y = LOG_A0 * r2 + y;
    y = y * r2 + (y0 + r);
    return (float) y;
  }

  // sincosf: reduce by multiples of pi/2 (single multiply-subtract below 120), then polynomials in x^2; the second
  // coefficient set negates the cosine polynomial, for quadrants 2 and 3
  private static final double[] SIGN = {1.0, -1.0, -1.0, 1.0};
  private static final double HPI_INV_2P24 = 0x1.45F306DC9C883p+23;
  private static final double HPI = 0x1.921FB54442D18p0;
  private static final double[][] COS = {
      {0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16},
      {-0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16}};
  private static final double SIN1 = -0x1.555545995a603p-3;
  private static final double SIN2 = 0x1.1107605230bc4p-7;
  private static final double SIN3 = -0x1.994eb3774cf24p-13;
  private static final int TOP12_PIO4 = top12((float) 0x1.921FB54442D18p-1);
  private static final int TOP12_TINY = top12(0x1p-12f);
  private static final int TOP12_120 = top12(120f);

  private static int top12(float x) {
    return (Float.floatToRawIntBits(x) >>> 20) & 0x7ff;
  }

  /**
   * Sine and cosine of {@code y}, with |y| below 120 (the Box-Muller angles are in [0, 2pi)), as glibc's
   * {@code sincosf}: the sine's bits in the high half of the result, the cosine's in the low half.
   */
  static long sincosf(float y) {
    int top = top12(y);
    if (top >= TOP12_120) {
      throw new IllegalArgumentException("sincosf is implemented for |x| < 120, got " + y);
    }
    double x = y;
    if (top < TOP12_PIO4) {
      if (top < TOP12_TINY) {
        return pack(y, 1f);
      }
      return poly(x, x * x, 0, 0);
    }
    double r = x * HPI_INV_2P24;
    int n = ((int) r + 0x800000) >> 24;
    x = x - n * HPI;
    double s = SIGN[n & 3];
    return poly(x * s, x * x, (n & 2) != 0 ? 1 : 0, n);
  }

  private static long poly(double x, double x2, int table, int n) {
    double[] c = COS[table];
    double x4 = x2 * x2;
    double x3 = x2 * x;
    double c2 = c[3] + x2 * c[4];
    double s1 = SIN2 + x2 * SIN3;
    double c1 = c[0] + x2 * c[1];
    double x5 = x3 * x2;
    double x6 = x4 * x2;
    double s = x + x3 * SIN1;
    double cc = c1 + x4 * c[2];
    float sinPoly = (float) (s + x5 * s1);
    float cosPoly = (float) (cc + x6 * c2);
    // odd quadrants swap the polynomials
    return (n & 1) != 0 ? pack(cosPoly, sinPoly) : pack(sinPoly, cosPoly);
  }

  private static long pack(float sin, float cos) {
    return ((long) Float.floatToRawIntBits(sin) << 32) | (Float.floatToRawIntBits(cos) & 0xFFFFFFFFL);
  }

  static float sinOf(long sincos) {
    return Float.intBitsToFloat((int) (sincos >>> 32));
  }

  static float cosOf(long sincos) {
    return Float.intBitsToFloat((int) sincos);
  }
}
