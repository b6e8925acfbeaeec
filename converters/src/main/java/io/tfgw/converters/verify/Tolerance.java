package io.tfgw.converters.verify;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.tensor.DType;
import java.util.Locale;

/**
 * How far a float output of model B may be from model A's and still pass {@code verify}: {@code exact} (bit for
 * bit, the default: conversions between TF formats keep every op and weight, so any difference is a bug), {@code
 * ulp:N} (every element within N ulps of the output's largest finite magnitude in A), or {@code rel:X} (within X
 * times that magnitude).
 *
 * <p>The scale is the output's largest magnitude, not each element's, because the rewrites that legitimately change
 * float arithmetic (a batch norm folded into a Mul + Add, weights transposed for another kernel, a sum reassociated)
 * change the rounding of each partial result, and an error made while summing large terms stays in a small result:
 * an element near zero may differ by many of its own ulps while the output as a whole is accurate to a few ulps.
 * ONNX exports default to {@link #ONNX} ({@code ulp:64}), the acceptance bound ONNX Runtime is held to against TF.
 *
 * <p>A is the reference: a B that blows one element up cannot widen the bound. NaN must meet NaN (any payload) and
 * an infinity the same infinity; integer, bool and string outputs are compared exactly under every tolerance.
 */
public record Tolerance(Kind kind, double amount) {
  /** The unit of {@link #amount}. */
  public enum Kind {
    EXACT, ULP, REL
  }

  public static final Tolerance EXACT = new Tolerance(Kind.EXACT, 0);

  /** What {@code --to onnx --verify} and {@code verify} with an ONNX side use unless told otherwise. */
  public static final Tolerance ONNX = new Tolerance(Kind.ULP, 64);

  public Tolerance {
    if (!(amount >= 0) || Double.isInfinite(amount)) {
      throw new IllegalArgumentException("tolerance must be a finite amount >= 0, got " + amount);
    }
  }

  /** {@code exact}, {@code ulp:N} (N a whole number of ulps) or {@code rel:X} (X a fraction such as 1e-6). */
  public static Tolerance parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.equals("exact")) {
      return EXACT;
    }
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String value = colon < 0 ? "" : s.substring(colon + 1);
    try {
      if (kind.equals("ulp")) {
        long n = Long.parseLong(value);
        if (n >= 0) {
          return new Tolerance(Kind.ULP, n);
        }
      } else if (kind.equals("rel")) {
        double x = Double.parseDouble(value);
        if (x >= 0 && x < 1) {
          return new Tolerance(Kind.REL, x);
        }
      }
    } catch (NumberFormatException e) {
      // reported below with the accepted forms
    }
    throw new WrongInputException("--tolerance must be 'exact', 'ulp:N' (N >= 0 ulps of each output's largest "
        + "magnitude) or 'rel:X' (0 <= X < 1 times that magnitude), got '" + text + "'");
  }

  public boolean isExact() {
    return kind == Kind.EXACT;
  }

  /** As {@link #parse} takes it: {@code exact}, {@code ulp:64}, {@code rel:1.0E-6}. */
  public String label() {
    return switch (kind) {
      case EXACT -> "exact";
      case ULP -> "ulp:" + (long) amount;
      case REL -> "rel:" + amount;
    };
  }

  /**
   * The difference that counts as one unit of {@link #amount} for an output of {@code dtype} whose largest finite
   * magnitude in A is {@code largest}: one ulp of it, or the magnitude itself. Exact tolerances have no unit (0).
   */
  double unit(DType dtype, double largest) {
    return switch (kind) {
      case EXACT -> 0;
      case ULP -> dtype == DType.FLOAT ? Math.ulp((float) largest) : Math.ulp(largest);
      case REL -> largest;
    };
  }

  @Override
  public String toString() {
    return label();
  }
}
