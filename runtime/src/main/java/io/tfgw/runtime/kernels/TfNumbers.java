package io.tfgw.runtime.kernels;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text to numbers as TensorFlow's {@code safe_strto32}, {@code safe_strto64}, {@code safe_strtof} and
 * {@code safe_strtod} parse them (used by StringToNumber and by tables initialised from text files), so that what
 * TF accepts, rejects and rounds is the same here: integers take optional surrounding whitespace and a '-' (no '+'),
 * and fail on overflow; floats follow double-conversion with leading/trailing spaces, '0x' hex integers, and
 * case-insensitive "inf"/"nan", and fail on anything else or on 32 characters or more. TF parses inside kernels
 * that flush denormals, so a denormal result is a zero of its sign.
 */
final class TfNumbers {
  /** {@code kFastToBufferSize}: TF refuses float text this long before parsing it. */
  private static final int MAX_FLOAT_CHARS = 32;
  private static final String SPACE = "[ \\t\\n\\u000b\\f\\r]*";
  private static final Pattern INTEGER = Pattern.compile(SPACE + "(-?[0-9]+)" + SPACE);
  private static final Pattern FLOAT = Pattern.compile(SPACE + "([+-]?)(?:(inf)|(nan)|0[xX]([0-9a-fA-F]+)"
      + "|([0-9]+\\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\\.[0-9]+(?:[eE][+-]?[0-9]+)?))" + SPACE,
      Pattern.CASE_INSENSITIVE);

  private TfNumbers() {}

  /** The int64 the text holds, or null when TF's {@code safe_strto64} rejects it. */
  static Long parseInt64(String text) {
    Matcher m = INTEGER.matcher(text);
    if (!m.matches()) {
      return null;
    }
    try {
      return Long.parseLong(m.group(1));
    } catch (NumberFormatException overflow) {
      return null;
    }
  }

  /** The int32 the text holds, or null when TF's {@code safe_strto32} rejects it. */
  static Integer parseInt32(String text) {
    Long v = parseInt64(text);
    return v == null || v != v.intValue() ? null : v.intValue();
  }

  /** The float the text holds (correctly rounded), or null when TF's {@code safe_strtof} rejects it. */
  static Float parseFloat(String text) {
    Double d = parse(text, true);
    if (d == null) {
      return null;
    }
    if (d.isNaN()) { // narrowing a NaN need not keep its bits: write TF's float NaN directly
      return Float.intBitsToFloat(Double.doubleToRawLongBits(d) < 0 ? 0xffc00000 : 0x7fc00000);
    }
    return Denormals.flush((float) (double) d);
  }

  /** The double the text holds (correctly rounded), or null when TF's {@code safe_strtod} rejects it. */
  static Double parseDouble(String text) {
    return parse(text, false);
  }

  /**
   * For floats the result is already rounded to float and widened back, which is exact; for doubles it is the
   * correctly rounded double.
   */
  private static Double parse(String text, boolean toFloat) {
    if (text.length() >= MAX_FLOAT_CHARS) {
      return null;
    }
    if (!text.isEmpty() && text.matches(SPACE)) {
      return 0.0; // double-conversion's empty_string_value: spaces alone parse as 0, an empty string fails
    }
    Matcher m = FLOAT.matcher(text);
    if (!m.matches()) {
      return null;
    }
    boolean negative = m.group(1).equals("-");
    if (m.group(2) != null) {
      return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (m.group(3) != null) {
      // double-conversion's NaN (0x7ff8...), negated by the sign; narrowing keeps the quiet bit and the sign
      long bits = 0x7ff8000000000000L | (negative ? Long.MIN_VALUE : 0);
      return Double.longBitsToDouble(bits);
    }
    String literal = m.group(4) != null ? new BigInteger(m.group(4), 16).toString() : m.group(5);
    String signed = (negative ? "-" : "") + literal;
    if (toFloat) {
      // parse straight to float: rounding to double first and then to float could round twice
      return (double) Float.parseFloat(signed);
    }
    return Denormals.flush(Double.parseDouble(signed));
  }
}
