package io.tfgw.runtime.kernels;

/** erf and erfc in double precision (Java's Math has neither). */
final class SpecialFunctions {
  private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

  private SpecialFunctions() {}

  /** erf(x): the positive series erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1)) below 4. */
  static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double ax = Math.abs(x);
    if (ax >= 6) {
      return Math.copySign(1, x);
    }
    if (ax > 2) {
      return Math.copySign(1 - erfcPositive(ax), x);
    }
    double x2 = ax * ax;
    double term = ax;
    double sum = ax;
    for (int n = 1; n < 200; n++) {
      term *= 2 * x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return Math.copySign(TWO_OVER_SQRT_PI * Math.exp(-x2) * sum, x);
  }

  static double erfc(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    if (x < 0) {
      return 2 - erfc(-x);
    }
    return x > 2 ? erfcPositive(x) : 1 - erf(x);
  }

  /** erfc for x > 2 by the continued fraction e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
  private static double erfcPositive(double x) {
    if (x > 27) {
      return 0;
    }
    // modified Lentz
    double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0;
    for (int n = 1; n < 500; n++) {
      double a = n / 2.0;
      d = x + a * d;
      d = d == 0 ? tiny : d;
      c = x + a / c;
      c = c == 0 ? tiny : c;
      d = 1 / d;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) {
        break;
      }
    }
    return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
  }
}
