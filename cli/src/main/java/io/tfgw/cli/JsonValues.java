package io.tfgw.cli;

import java.util.List;

/** Tensor values in JSON: numbers that parse back to the same bits, NaN and infinities as strings. */
final class JsonValues {
  private JsonValues() {}

  static Object number(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return d;
  }

  static Object of(Object v) {
    if (v instanceof Double d) {
      return number(d);
    }
    if (v instanceof byte[] s) {
      return io.tfgw.converters.inspect.ValueSummary.utf8(s);
    }
    if (v instanceof double[] c) {
      return List.of(number(c[0]), number(c[1]));
    }
    return v;
  }
}
