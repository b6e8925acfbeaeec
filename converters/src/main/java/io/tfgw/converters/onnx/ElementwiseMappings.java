package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import java.util.List;
import java.util.Map;

/** Elementwise TF ops: unary math and activations, binary arithmetic (incl. floor division), comparisons, logic. */
final class ElementwiseMappings {
  private ElementwiseMappings() {}

  static void register(Map<String, OpMapping> m) {
    for (String[] p : new String[][] {{"Neg", "Neg"}, {"Abs", "Abs"}, {"Sqrt", "Sqrt"}, {"Exp", "Exp"},
        {"Log", "Log"}, {"Tanh", "Tanh"}, {"Sigmoid", "Sigmoid"}, {"Floor", "Floor"}, {"Ceil", "Ceil"},
        {"Sign", "Sign"}, {"Relu", "Relu"}, {"Erf", "Erf"}, {"Sin", "Sin"}, {"Cos", "Cos"}, {"Tan", "Tan"},
        {"Elu", "Elu"}, {"Selu", "Selu"}, {"Softplus", "Softplus"}, {"Softsign", "Softsign"},
        {"Reciprocal", "Reciprocal"}, {"Inv", "Reciprocal"}, {"Round", "Round"}, {"Rint", "Round"},
        {"LogicalNot", "Not"}, {"Asin", "Asin"}, {"Acos", "Acos"}, {"Atan", "Atan"}, {"Sinh", "Sinh"},
        {"Cosh", "Cosh"}, {"Asinh", "Asinh"}, {"Acosh", "Acosh"}, {"Atanh", "Atanh"}}) {
      m.put(p[0], c -> c.output(0, unary(c, p[1], c.in(0))));
    }
    m.put("IsNan", c -> c.output(0, c.emit("IsNaN", List.of(c.in(0)), DType.BOOL, c.shape(0))));
    m.put("IsInf", c -> c.output(0, c.emit("IsInf", List.of(c.in(0)), DType.BOOL, c.shape(0))));
    m.put("IsFinite", c -> {
      String nan = c.emit("IsNaN", List.of(c.in(0)), DType.BOOL, c.shape(0));
      String inf = c.emit("IsInf", List.of(c.in(0)), DType.BOOL, c.shape(0));
      String either = c.emit("Or", List.of(nan, inf), DType.BOOL, c.shape(0));
      c.output(0, c.emit("Not", List.of(either), DType.BOOL, c.shape(0)));
    });
    m.put("Square", c -> c.output(0, binary(c, "Mul", c.in(0), c.in(0))));
    m.put("Rsqrt", c -> c.output(0, unary(c, "Reciprocal", unary(c, "Sqrt", c.in(0)))));
    m.put("Relu6", c -> c.output(0, c.emit("Clip", List.of(c.in(0), c.scalar(c.dtype(0), 0), c.scalar(c.dtype(0), 6)),
        c.dtype(0), c.shape(0))));
    m.put("LeakyRelu", c -> c.output(0, c.emit("LeakyRelu", List.of(c.in(0)), c.dtype(0), c.shape(0),
        n -> n.attr("alpha", c.attrFloat("alpha", 0.2f)))));
    m.put("Expm1", c -> c.output(0, binary(c, "Sub", unary(c, "Exp", c.in(0)), c.scalar(c.dtype(0), 1))));
    m.put("Log1p", c -> c.output(0, unary(c, "Log", binary(c, "Add", c.in(0), c.scalar(c.dtype(0), 1)))));
    m.put("Erfc", c -> c.output(0, binary(c, "Sub", c.scalar(c.dtype(0), 1), unary(c, "Erf", c.in(0)))));

    for (String[] p : new String[][] {{"Add", "Add"}, {"AddV2", "Add"}, {"Sub", "Sub"}, {"Mul", "Mul"},
        {"RealDiv", "Div"}, {"Div", "Div"}, {"TruncateDiv", "Div"}, {"Maximum", "Max"}, {"Minimum", "Min"},
        {"Pow", "Pow"}, {"LogicalAnd", "And"}, {"LogicalOr", "Or"}, {"BiasAddV1", "Add"}}) {
      m.put(p[0], c -> c.output(0, binary(c, p[1], c.in(0), c.in(1))));
    }
    for (String op : new String[] {"Mod", "TruncateMod"}) {
      // TF's Mod and TruncateMod are C's: the remainder takes the dividend's sign (ONNX fmod=1)
      m.put(op, c -> c.output(0, c.emit("Mod", List.of(c.in(0), c.in(1)), c.dtype(0),
          Shapes.broadcast(c.shape(0), c.shape(1)), n -> n.attr("fmod", 1L))));
    }
    m.put("SquaredDifference", c -> {
      String d = binary(c, "Sub", c.in(0), c.in(1));
      c.output(0, binary(c, "Mul", d, d));
    });
    m.put("DivNoNan", c -> {
      long[] shape = Shapes.broadcast(c.shape(0), c.shape(1));
      String zero = c.scalar(c.dtype(1), 0);
      String isZero = c.emit("Equal", List.of(c.in(1), zero), DType.BOOL, c.shape(1));
      String q = binary(c, "Div", c.in(0), c.in(1));
      c.output(0, c.emit("Where", List.of(isZero, c.scalar(c.dtype(0), 0), q), c.dtype(0), shape));
    });
    m.put("MulNoNan", c -> {
      // 0 wherever y is 0, even where x is NaN or infinite
      long[] shape = Shapes.broadcast(c.shape(0), c.shape(1));
      String isZero = c.emit("Equal", List.of(c.in(1), c.scalar(c.dtype(1), 0)), DType.BOOL, c.shape(1));
      String p = binary(c, "Mul", c.in(0), c.in(1));
      c.output(0, c.emit("Where", List.of(isZero, c.scalar(c.dtype(0), 0), p), c.dtype(0), shape));
    });
    m.put("Atan2", ElementwiseMappings::atan2);
    m.put("FloorDiv", ElementwiseMappings::floorDiv);
    m.put("FloorMod", ElementwiseMappings::floorMod);
    for (String[] p : new String[][] {{"Equal", "Equal"}, {"Less", "Less"}, {"LessEqual", "LessOrEqual"},
        {"Greater", "Greater"}, {"GreaterEqual", "GreaterOrEqual"}}) {
      m.put(p[0], c -> c.output(0, compare(c, p[1], c.in(0), c.in(1))));
    }
    m.put("NotEqual", c -> {
      String eq = compare(c, "Equal", c.in(0), c.in(1));
      c.output(0, c.emit("Not", List.of(eq), DType.BOOL, c.meta(0).shape() == null ? null : c.g.meta(eq).shape()));
    });
    m.put("AddN", c -> {
      List<String> ins = new java.util.ArrayList<>();
      long[] shape = c.shape(0);
      for (int i = 0; i < c.inputCount(); i++) {
        ins.add(c.in(i));
        shape = Shapes.broadcast(shape, c.shape(i));
      }
      c.output(0, ins.size() == 1 ? ins.get(0) : c.emit("Sum", ins, c.dtype(0), shape));
    });
    m.put("ClipByValue", c -> {
      // TF: x.cwiseMin(max).cwiseMax(min)
      String lo = binary(c, "Min", c.in(0), c.in(2));
      c.output(0, binary(c, "Max", lo, c.in(1)));
    });
    m.put("Select", ElementwiseMappings::select);
    m.put("SelectV2", c -> c.output(0, c.emit("Where", List.of(c.in(0), c.in(1), c.in(2)), c.dtype(1),
        Shapes.broadcast(c.shape(0), c.shape(1), c.shape(2)))));
    m.put("Cast", c -> {
      DType to = c.attrType("DstT");
      OnnxTypes.elemType(to);
      c.output(0, c.cast(c.in(0), to));
    });
  }

  /**
   * atan2(y, x) (ONNX has none): atan(y / x), plus pi where x < 0 and y >= 0, minus pi where x < 0 and y < 0; 0
   * where both are 0 (C's atan2(+0, +0); the signs of zeros are not told apart).
   */
  private static void atan2(MapContext c) {
    DType t = c.dtype(0);
    if (t != DType.FLOAT && t != DType.DOUBLE) {
      throw new UnsupportedInputException("Atan2 of " + t + " is not supported");
    }
    String y = c.in(0);
    String x = c.in(1);
    long[] shape = Shapes.broadcast(c.shape(0), c.shape(1));
    String zero = c.scalar(t, 0);
    String a = unary(c, "Atan", binary(c, "Div", y, x));
    String xNeg = compare(c, "Less", x, zero);
    String yNeg = compare(c, "Less", y, zero);
    String pi = c.scalar(t, Math.PI);
    String minusPi = c.scalar(t, -Math.PI);
    String turn = c.emit("Where", List.of(yNeg, minusPi, pi), t, c.shape(0));
    String fixed = c.emit("Where", List.of(xNeg, binary(c, "Add", a, turn), a), t, shape);
    String bothZero = c.emit("And", List.of(compare(c, "Equal", y, zero), compare(c, "Equal", x, zero)), DType.BOOL,
        shape);
    c.output(0, c.emit("Where", List.of(bothZero, zero, fixed), t, shape));
  }

  static String unary(MapContext c, String op, String x) {
    OnnxGraph.Meta m = c.g.meta(x);
    return c.emit(op, List.of(x), m.dtype(), m.shape());
  }

  static String binary(MapContext c, String op, String a, String b) {
    OnnxGraph.Meta ma = c.g.meta(a);
    OnnxGraph.Meta mb = c.g.meta(b);
    return c.emit(op, List.of(a, b), ma.dtype(), Shapes.broadcast(ma.shape(), mb.shape()));
  }

  static String compare(MapContext c, String op, String a, String b) {
    return c.emit(op, List.of(a, b), DType.BOOL, Shapes.broadcast(c.g.meta(a).shape(), c.g.meta(b).shape()));
  }

  private static boolean isInteger(DType t) {
    return t == DType.INT32 || t == DType.INT64 || t == DType.INT8 || t == DType.INT16 || t == DType.UINT8
        || t == DType.UINT16 || t == DType.UINT32 || t == DType.UINT64;
  }

  /**
   * Whether the truncated quotient needs the floor correction: a nonzero remainder whose sign differs from the
   * divisor's. ONNX's Div truncates integers; TF's FloorDiv/FloorMod round toward negative infinity (the case
   * tf2onnx gets wrong for negative operands).
   */
  private static String needsFloorFix(MapContext c, String r, String y) {
    DType t = c.g.meta(r).dtype();
    String zero = c.scalar(t, 0);
    String nonZero = c.emit("Not", List.of(compare(c, "Equal", r, zero)), DType.BOOL, c.g.meta(r).shape());
    String rNeg = compare(c, "Less", r, zero);
    String yNeg = compare(c, "Less", y, c.scalar(c.g.meta(y).dtype(), 0));
    String differ = c.emit("Xor", List.of(rNeg, yNeg), DType.BOOL, Shapes.broadcast(c.g.meta(r).shape(),
        c.g.meta(y).shape()));
    return c.emit("And", List.of(nonZero, differ), DType.BOOL, c.g.meta(differ).shape());
  }

  private static void floorDiv(MapContext c) {
    String x = c.in(0);
    String y = c.in(1);
    DType t = c.dtype(0);
    if (!isInteger(t)) {
      c.output(0, unary(c, "Floor", binary(c, "Div", x, y)));
      return;
    }
    if (t.name().startsWith("UINT")) {
      c.output(0, binary(c, "Div", x, y));
      return;
    }
    String q = binary(c, "Div", x, y);
    String r = binary(c, "Sub", x, binary(c, "Mul", q, y));
    String fix = c.cast(needsFloorFix(c, r, y), t);
    c.output(0, binary(c, "Sub", q, fix));
  }

  private static void floorMod(MapContext c) {
    String x = c.in(0);
    String y = c.in(1);
    DType t = c.dtype(0);
    if (t.name().startsWith("UINT")) {
      c.output(0, c.emit("Mod", List.of(x, y), t, Shapes.broadcast(c.shape(0), c.shape(1)), n -> n.attr("fmod", 1L)));
      return;
    }
    // the truncated remainder (C's fmod / %), then moved into the divisor's sign as TF's FloorMod does
    String r = c.emit("Mod", List.of(x, y), t, Shapes.broadcast(c.shape(0), c.shape(1)), n -> n.attr("fmod", 1L));
    String fix = needsFloorFix(c, r, y);
    String shifted = binary(c, "Add", r, y);
    c.output(0, c.emit("Where", List.of(fix, shifted, r), t, c.g.meta(shifted).shape()));
  }

  private static void select(MapContext c) {
    String cond = c.in(0);
    int condRank = c.rank(0);
    int xRank = c.rank(1);
    if (condRank == 1 && xRank > 1) {
      // TF's Select with a vector condition picks whole rows
      long[] axes = new long[xRank - 1];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = i + 1;
      }
      long[] s = c.shape(0);
      long[] shape = new long[xRank];
      java.util.Arrays.fill(shape, 1);
      shape[0] = s[0];
      cond = c.withAxes("Unsqueeze", cond, axes, DType.BOOL, shape, true, n -> { });
    } else if (condRank < 0 || xRank < 0) {
      if (condRank != xRank) {
        throw new UnsupportedInputException("Select needs the ranks of its condition and values known statically");
      }
    }
    c.output(0, c.emit("Where", List.of(cond, c.in(1), c.in(2)), c.dtype(1),
        Shapes.broadcast(c.g.meta(cond).shape(), c.shape(1), c.shape(2))));
  }
}
