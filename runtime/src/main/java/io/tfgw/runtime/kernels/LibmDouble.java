package io.tfgw.runtime.kernels;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Double-precision {@code sincos} and {@code log} for TF's float64 Box-Muller sampler, which calls the C library's.
 * Java's {@code StrictMath} (fdlibm) gives other last bits for about 6% of the samples, so:
 * <ul>
 *   <li>{@link #sincos} evaluates glibc's algorithm (IBM's Accurate Mathematical Library: a table of sin and cos at
 *       multiples of 1/128 in double-double, Taylor corrections, a three-part reduction by pi/2) with the fused
 *       multiply-adds of the x86-64 FMA build that glibc selects on any CPU since 2013; the table is computed here
 *       from its definition. It reproduced glibc 2.36's results for 2*10^7 random angles in [0, 2pi).
 *       ({@code Math.fma} is exact on every JVM; on a CPU without FMA instructions it is slow, not different.)
 *   <li>{@link #log} is correctly rounded (double-double evaluation). glibc's {@code log} (Arm's table-driven
 *       algorithm, whose 128-entry table is not reproduced here) is correctly rounded too except near a rounding
 *       boundary: it differs by one ulp for about 0.08% of inputs. Through the square root and the product with the
 *       sine, about 0.05% of float64 normal samples differ from TF's, by at most 2 ulps.
 * </ul>
 */
final class LibmDouble {
  private LibmDouble() {}

  // ---- sincos: glibc's usncs.h constants and s_sin.c polynomial coefficients ----
  private static final double S1 = -0x1.5555555555555p-3;
  private static final double S2 = 0x1.1111111110ECEp-7;
  private static final double S3 = -0x1.A01A019DB08B8p-13;
  private static final double S4 = 0x1.71DE27B9A7ED9p-19;
  private static final double S5 = -0x1.ADDFFC2FCDF59p-26;
  private static final double BIG = 0x1.8000000000000p45;
  private static final double HP0 = 0x1.921FB54442D18p0;
  private static final double HP1 = 0x1.1A62633145C07p-54;
  private static final double MP1 = 0x1.921FB58000000p0;
  private static final double MP2 = -0x1.DDE973C000000p-27;
  private static final double PP3 = -0x1.CB3B398000000p-55;
  private static final double PP4 = -0x1.d747f23e32ed7p-83;
  private static final double HPINV = 0x1.45F306DC9C883p-1;
  private static final double TOINT = 0x1.8000000000000p52;
  private static final double SN3 = -1.66666666666664880952546298448555E-01;
  private static final double SN5 = 8.33333214285722277379541354343671E-03;
  private static final double CS2 = 4.99999999999999999999950396842453E-01;
  private static final double CS4 = -4.16666666666664434524222570944589E-02;
  private static final double CS6 = 1.38888874007937613028114285595617E-03;

  /** sin(i/128) and cos(i/128), i = 0..109, each as a double plus the double nearest its rounding error. */
  private static final class SinCosTable {
    static final double[] VALUES = build();

    private static double[] build() {
      MathContext mc = new MathContext(60);
      double[] t = new double[440];
      for (int i = 0; i < 110; i++) {
        BigDecimal x = BigDecimal.valueOf(i).divide(BigDecimal.valueOf(128), mc);
        BigDecimal[] sc = sinCos(x, mc);
        for (int j = 0; j < 2; j++) {
          double hi = sc[j].doubleValue();
          t[4 * i + 2 * j] = hi;
          t[4 * i + 2 * j + 1] = sc[j].subtract(new BigDecimal(hi), mc).doubleValue();
        }
      }
      return t;
    }

    /** Taylor series of sin and cos, |x| &lt; 1. */
    private static BigDecimal[] sinCos(BigDecimal x, MathContext mc) {
      BigDecimal sin = BigDecimal.ZERO;
      BigDecimal cos = BigDecimal.ZERO;
      BigDecimal term = BigDecimal.ONE; // x^n / n!
      BigDecimal eps = BigDecimal.ONE.movePointLeft(58);
      for (int n = 0; term.abs().compareTo(eps) > 0 || n < 4; n++) {
        switch (n % 4) {
          case 0 -> cos = cos.add(term, mc);
          case 1 -> sin = sin.add(term, mc);
          case 2 -> cos = cos.subtract(term, mc);
          default -> sin = sin.subtract(term, mc);
        }
        term = term.multiply(x, mc).divide(BigDecimal.valueOf(n + 1), mc);
      }
      return new BigDecimal[] {sin, cos};
    }
  }

  /** sin and cos of {@code x}, |x| &lt; 105414350, as glibc's {@code sincos} (FMA build): into {@code out[0..1]}. */
  static void sincos(double x, double[] out) {
    int k = (int) (Double.doubleToRawLongBits(x) >>> 32) & 0x7fffffff;
    if (k < 0x400368fd) {
      if (k < 0x3e400000) {
        out[0] = x;
        out[1] = 1.0;
      } else if (k < 0x3feb6000) {
        out[0] = doSin(x, 0);
        out[1] = doCos(x, 0);
      } else {
        double y = HP0 - Math.abs(x);
        double a = y + HP1;
        double da = (y - a) + HP1;
        out[0] = Math.copySign(doCos(a, da), x);
        out[1] = doSin(a, da);
      }
      return;
    }
    if (k >= 0x419921FB) {
      throw new IllegalArgumentException("sincos is implemented for |x| < 105414350, got " + x);
    }
    // x - n pi/2 as a + da, with pi/2 in four parts
    double t = Math.fma(x, HPINV, TOINT);
    double xn = t - TOINT;
    int n = (int) Double.doubleToRawLongBits(t) & 3;
    double y = Math.fma(-xn, MP2, Math.fma(-xn, MP1, x));
    double t2 = Math.fma(-xn, PP3, y);
    double db = Math.fma(-xn, PP3, y - t2);
    double a = Math.fma(-xn, PP4, t2);
    db += Math.fma(-xn, PP4, t2 - a);
    double da = db;
    if (n == 1 || n == 2) {
      a = -a;
      da = -da;
    }
    double s = doSin(a, da);
    double c = doCos(a, da);
    if ((n & 2) != 0) {
      c = -c;
    }
    if ((n & 1) != 0) {
      out[0] = c;
      out[1] = s;
    } else {
      out[0] = s;
      out[1] = c;
    }
  }

  private static double doCos(double x, double dx) {
    if (x < 0) {
      dx = -dx;
    }
    double u = BIG + Math.abs(x);
    x = Math.abs(x) - (u - BIG) + dx;
    double xx = x * x;
    double s = Math.fma(x * xx, Math.fma(xx, SN5, SN3), x);
    double c = xx * Math.fma(xx, Math.fma(xx, CS6, CS4), CS2);
    double[] tab = SinCosTable.VALUES;
    int i = (int) Double.doubleToRawLongBits(u) << 2;
    double sn = tab[i];
    double ssn = tab[i + 1];
    double cs = tab[i + 2];
    double ccs = tab[i + 3];
    double cor = Math.fma(-sn, s, Math.fma(-cs, c, Math.fma(-s, ssn, ccs)));
    return cs + cor;
  }

  private static double doSin(double x, double dx) {
    double xold = x;
    if (Math.abs(x) < 0.126) {
      double xx = x * x;
      double p = Math.fma(Math.fma(Math.fma(Math.fma(S5, xx, S4), xx, S3), xx, S2), xx, S1);
      double t = Math.fma(Math.fma(p, x, -(0.5 * dx)), xx, dx);
      return x + t;
    }
    if (x <= 0) {
      dx = -dx;
    }
    double u = BIG + Math.abs(x);
    x = Math.abs(x) - (u - BIG);
    double xx = x * x;
    double s = x + Math.fma(x * xx, Math.fma(xx, SN5, SN3), dx);
    double c = Math.fma(x, dx, xx * Math.fma(xx, Math.fma(xx, CS6, CS4), CS2));
    double[] tab = SinCosTable.VALUES;
    int i = (int) Double.doubleToRawLongBits(u) << 2;
    double sn = tab[i];
    double ssn = tab[i + 1];
    double cs = tab[i + 2];
    double ccs = tab[i + 3];
    double cor = Math.fma(cs, s, Math.fma(-sn, c, Math.fma(s, ccs, ssn)));
    return Math.copySign(sn + cor, xold);
  }

  // ---- log: x = 2^k m, m in [0.75, 1.5); c = m rounded to 1/128; log x = k ln2 + log c + log1p((m - c) / c) ----
  private static final class LogTable {
    static final double LN2_HI;
    static final double LN2_LO;
    /** log(j / 128) for j = 96..192 as hi, lo pairs. */
    static final double[] LOG_C = new double[2 * 97];
    static final double THIRD_HI = 1.0 / 3;
    static final double THIRD_LO;

    static {
      MathContext mc = new MathContext(60);
      BigDecimal ln2 = ln(BigDecimal.valueOf(2), mc);
      LN2_HI = ln2.doubleValue();
      LN2_LO = ln2.subtract(new BigDecimal(LN2_HI), mc).doubleValue();
      for (int j = 96; j <= 192; j++) {
        BigDecimal l = ln(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(128), mc), mc);
        double hi = l.doubleValue();
        LOG_C[2 * (j - 96)] = hi;
        LOG_C[2 * (j - 96) + 1] = l.subtract(new BigDecimal(hi), mc).doubleValue();
      }
      BigDecimal third = BigDecimal.ONE.divide(BigDecimal.valueOf(3), mc);
      THIRD_LO = third.subtract(new BigDecimal(THIRD_HI), mc).doubleValue();
    }

    /** ln(c) = 2 atanh((c - 1) / (c + 1)), for c in [0.5, 2]. */
    private static BigDecimal ln(BigDecimal c, MathContext mc) {
      BigDecimal z = c.subtract(BigDecimal.ONE).divide(c.add(BigDecimal.ONE), mc);
      BigDecimal z2 = z.multiply(z, mc);
      BigDecimal power = z;
      BigDecimal sum = BigDecimal.ZERO;
      BigDecimal eps = BigDecimal.ONE.movePointLeft(58);
      for (int n = 1; power.abs().compareTo(eps) > 0; n += 2) {
        sum = sum.add(power.divide(BigDecimal.valueOf(n), mc), mc);
        power = power.multiply(z2, mc);
      }
      return sum.multiply(BigDecimal.valueOf(2), mc);
    }
  }

  /** The natural logarithm of a positive normal double, correctly rounded. */
  static double log(double x) {
    if (!(x > 0) || x == Double.POSITIVE_INFINITY || x < Double.MIN_NORMAL) {
      return StrictMath.log(x); // not reached from Box-Muller: its argument is in [1e-7, 1)
    }
    long bits = Double.doubleToRawLongBits(x);
    int k = (int) (bits >>> 52) - 1023;
    double m = Double.longBitsToDouble((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
    if (m >= 1.5) {
      m *= 0.5;
      k++;
    }
    int j = (int) Math.rint(m * 128);
    double c = j / 128.0;
    double f = m - c; // exact: m and c are within a factor 2 and c has 8 bits
    double rHi = f / c;
    double rLo = Math.fma(-rHi, c, f) / c;
    // log1p(r) = r (1 + r (-1/2 + r (1/3 + r u))) with u = -1/4 + r/5 - r^2/6 + ... in double: its error
    // reaches the result scaled by r^3 (|r| < 2^-7), the rest is double-double
    double u = 0;
    for (int n = 12; n >= 4; n--) {
      u = u * rHi + ((n & 1) == 0 ? -1.0 : 1.0) / n;
    }
    double[] acc = {LogTable.THIRD_HI, LogTable.THIRD_LO};
    twoSumInto(acc, rHi * u, 0);
    mulInto(acc, rHi, rLo);
    twoSumInto(acc, -0.5, 0);
    mulInto(acc, rHi, rLo);
    twoSumInto(acc, 1.0, 0);
    mulInto(acc, rHi, rLo);
    // + log c + k ln2
    int t = 2 * (j - 96);
    twoSumInto(acc, LogTable.LOG_C[t], LogTable.LOG_C[t + 1]);
    double kLn2 = k * LogTable.LN2_HI;
    twoSumInto(acc, kLn2, Math.fma(k, LogTable.LN2_HI, -kLn2) + k * LogTable.LN2_LO);
    return acc[0] + acc[1];
  }

  /** acc += (bHi, bLo), renormalized. */
  private static void twoSumInto(double[] acc, double bHi, double bLo) {
    double s = acc[0] + bHi;
    double v = s - acc[0];
    double e = (acc[0] - (s - v)) + (bHi - v);
    e += acc[1] + bLo;
    double hi = s + e;
    acc[1] = e - (hi - s);
    acc[0] = hi;
  }

  /** acc *= (bHi, bLo), renormalized. */
  private static void mulInto(double[] acc, double bHi, double bLo) {
    double p = acc[0] * bHi;
    double e = Math.fma(acc[0], bHi, -p);
    e += acc[0] * bLo + acc[1] * bHi;
    double hi = p + e;
    acc[1] = e - (hi - p);
    acc[0] = hi;
  }
}
