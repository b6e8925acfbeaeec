package io.tfgw.converters.onnx.read;

import static io.tfgw.converters.onnx.read.TfGraphBuilder.b;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.f;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.i;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.ints;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.str;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.type;

import io.tfgw.converters.onnx.OnnxTypes;
import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX ops (default domain) as TF ops of tfgw's runtime, with ONNX's semantics: integer Div truncates, Softmax
 * before opset 13 works on the input coerced to 2D, Reshape's 0 copies the input's dimension, Gather takes negative
 * indices, and so on. NCHW convolutions and pooling are in {@link NchwOps}.
 */
final class OnnxOps {
  private OnnxOps() {}

  private static final Map<String, String> UNARY = Map.ofEntries(Map.entry("Relu", "Relu"),
      Map.entry("Sigmoid", "Sigmoid"), Map.entry("Tanh", "Tanh"), Map.entry("Exp", "Exp"), Map.entry("Log", "Log"),
      Map.entry("Sqrt", "Sqrt"), Map.entry("Erf", "Erf"), Map.entry("Neg", "Neg"), Map.entry("Abs", "Abs"),
      Map.entry("Floor", "Floor"), Map.entry("Ceil", "Ceil"), Map.entry("Reciprocal", "Reciprocal"),
      Map.entry("Sin", "Sin"), Map.entry("Cos", "Cos"), Map.entry("Tan", "Tan"), Map.entry("Softplus", "Softplus"),
      Map.entry("Softsign", "Softsign"), Map.entry("Sign", "Sign"), Map.entry("Round", "Round"),
      Map.entry("Atan", "Atan"), Map.entry("Asin", "Asin"), Map.entry("Acos", "Acos"), Map.entry("Sinh", "Sinh"),
      Map.entry("Cosh", "Cosh"), Map.entry("IsNaN", "IsNan"));

  private static final Map<String, String> BINARY = Map.of("Add", "AddV2", "Sub", "Sub", "Mul", "Mul",
      "Equal", "Equal", "Less", "Less", "Greater", "Greater", "LessOrEqual", "LessEqual",
      "GreaterOrEqual", "GreaterEqual", "And", "LogicalAnd", "Or", "LogicalOr");

  private static final Set<String> COMPARISONS = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual");

  /** Every op type {@link #map} handles. */
  static final Set<String> SUPPORTED;

  static {
    List<String> all = new ArrayList<>(UNARY.keySet());
    all.addAll(BINARY.keySet());
    all.addAll(List.of("Div", "Mod", "Pow", "Xor", "Not", "Max", "Min", "Sum", "Mean", "Identity", "Dropout", "LeakyRelu",
        "Elu", "HardSigmoid", "Clip", "Softmax", "LogSoftmax", "Gemm", "MatMul", "BatchNormalization", "Reshape",
        "Flatten", "Transpose", "Concat", "Gather", "Unsqueeze", "Squeeze", "Slice", "Shape", "Size", "Cast",
        "Constant", "Pad", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ArgMax", "ArgMin",
        "Where", "Expand", "Tile", "ConstantOfShape", "Range", "Einsum", "TopK", "Split", "IsInf"));
    all.addAll(NchwOps.SUPPORTED);
    all.addAll(SequenceOps.SUPPORTED);
    SUPPORTED = Set.copyOf(all);
  }

  /** Maps the node; returns its outputs in order (null for outputs it does not produce). */
  static List<Value> map(NodeContext c) {
    String op = c.node.getOpType();
    if (UNARY.containsKey(op)) {
      Value x = c.in(0);
      return List.of(new Value(c.op(UNARY.get(op), x.dtype(), x.ref()), op.equals("IsNaN") ? DType.BOOL : x.dtype(),
          x.rank()));
    }
    if (BINARY.containsKey(op)) {
      if (c.hasAttr("axis")) {
        throw c.unsupported("legacy broadcasting with an axis attribute (opset < 7)");
      }
      Value a = c.in(0);
      Value y = c.in(1);
      String tfOp = BINARY.get(op);
      String r = op.equals("And") || op.equals("Or") ? c.add(c.nd(tfOp, a.ref(), y.ref()))
          : c.op(tfOp, a.dtype(), a.ref(), y.ref());
      return List.of(new Value(r, COMPARISONS.contains(op) ? DType.BOOL : a.dtype(), broadcastRank(a, y)));
    }
    if (NchwOps.SUPPORTED.contains(op)) {
      return NchwOps.map(c);
    }
    if (SequenceOps.SUPPORTED.contains(op)) {
      return SequenceOps.map(c);
    }
    return switch (op) {
      case "Div" -> {
        Value a = c.in(0);
        Value y = c.in(1);
        // ONNX integer division truncates toward zero (C semantics), unlike TF's FloorDiv
        String tfOp = a.dtype().isFloating() ? "RealDiv" : "TruncateDiv";
        yield List.of(new Value(c.op(tfOp, a.dtype(), a.ref(), y.ref()), a.dtype(), broadcastRank(a, y)));
      }
      case "Mod" -> {
        Value a = c.in(0);
        Value y = c.in(1);
        // fmod=1 is C's fmod (the dividend's sign): TF's TruncateMod; fmod=0 (integers only) takes the divisor's
        // sign, as TF's FloorMod does
        String tfOp = c.attrInt("fmod", 0) == 1 ? "TruncateMod" : "FloorMod";
        if (tfOp.equals("FloorMod") && a.dtype().isFloating()) {
          throw c.unsupported("Mod of floats with fmod=0 (ONNX allows floats only with fmod=1)");
        }
        yield List.of(new Value(c.op(tfOp, a.dtype(), a.ref(), y.ref()), a.dtype(), broadcastRank(a, y)));
      }
      case "Pow" -> {
        Value a = c.in(0);
        Value e = c.in(1);
        String exp = c.cast(e.ref(), e.dtype(), a.dtype());
        yield List.of(new Value(c.op("Pow", a.dtype(), a.ref(), exp), a.dtype(), broadcastRank(a, e)));
      }
      case "Xor" -> List.of(new Value(c.op("NotEqual", DType.BOOL, c.in(0).ref(), c.in(1).ref()), DType.BOOL,
          broadcastRank(c.in(0), c.in(1))));
      case "Not" -> List.of(new Value(c.add(c.nd("LogicalNot", c.in(0).ref())), DType.BOOL, c.in(0).rank()));
      case "IsInf" -> List.of(isInf(c));
      case "Max", "Min", "Sum", "Mean" -> List.of(variadic(c, op));
      case "Identity" -> List.of(identity(c, c.in(0)));
      case "Dropout" -> dropout(c);
      case "LeakyRelu" -> {
        Value x = c.in(0);
        yield List.of(new Value(c.add(c.nd("LeakyRelu", x.ref()).putAttr("T", type(x.dtype()))
            .putAttr("alpha", f(c.attrFloat("alpha", 0.01f)))), x.dtype(), x.rank()));
      }
      case "Elu" -> {
        if (c.attrFloat("alpha", 1f) != 1f) {
          throw c.unsupported("alpha " + c.attrFloat("alpha", 1f) + " (TF's Elu has alpha 1)");
        }
        Value x = c.in(0);
        yield List.of(new Value(c.op("Elu", x.dtype(), x.ref()), x.dtype(), x.rank()));
      }
      case "HardSigmoid" -> {
        Value x = c.in(0);
        String y = c.op("AddV2", x.dtype(), c.op("Mul", x.dtype(), x.ref(), c.scalar(x.dtype(),
            c.attrFloat("alpha", 0.2f))), c.scalar(x.dtype(), c.attrFloat("beta", 0.5f)));
        y = c.op("Minimum", x.dtype(), c.op("Maximum", x.dtype(), y, c.scalar(x.dtype(), 0)), c.scalar(x.dtype(), 1));
        yield List.of(new Value(y, x.dtype(), x.rank()));
      }
      case "Clip" -> List.of(clip(c));
      case "Softmax", "LogSoftmax" -> List.of(softmax(c, op));
      case "Gemm" -> List.of(gemm(c));
      case "MatMul" -> List.of(matmul(c));
      case "BatchNormalization" -> batchNorm(c);
      case "Reshape" -> List.of(reshape(c));
      case "Flatten" -> List.of(flatten(c));
      case "Transpose" -> List.of(transpose(c));
      case "Concat" -> List.of(concat(c));
      case "Gather" -> List.of(gather(c));
      case "Unsqueeze" -> List.of(unsqueeze(c));
      case "Squeeze" -> List.of(squeeze(c));
      case "Slice" -> List.of(slice(c));
      case "Shape" -> List.of(shape(c));
      case "Size" -> List.of(new Value(c.add(c.nd("Size", c.in(0).ref()).putAttr("T", type(c.in(0).dtype()))
          .putAttr("out_type", type(DType.INT64))), DType.INT64, 0));
      case "Cast" -> {
        Value x = c.in(0);
        DType to = OnnxFile.dtype((int) c.attrInt("to", 0), c.where() + " attribute to");
        yield List.of(new Value(c.cast(x.ref(), x.dtype(), to), to, x.rank()));
      }
      case "Constant" -> List.of(constant(c));
      case "Pad" -> List.of(pad(c));
      case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd" -> List.of(reduce(c, op));
      case "ArgMax", "ArgMin" -> List.of(argMax(c, op));
      case "Where" -> {
        Value x = c.in(1);
        yield List.of(new Value(c.op("SelectV2", x.dtype(), c.in(0).ref(), x.ref(), c.in(2).ref()), x.dtype(),
            Math.max(c.in(0).rank() < 0 ? -1 : c.in(0).rank(), broadcastRank(x, c.in(2)))));
      }
      case "Expand" -> {
        Value x = c.in(0);
        String target = c.add(c.nd("BroadcastArgs", c.shapeOf(x.ref(), x.dtype()), c.cast(c.in(1).ref(),
            c.in(1).dtype(), DType.INT64)).putAttr("T", type(DType.INT64)));
        yield List.of(new Value(c.add(c.nd("BroadcastTo", x.ref(), target).putAttr("T", type(x.dtype()))
            .putAttr("Tidx", type(DType.INT64))), x.dtype(), -1));
      }
      case "Tile" -> {
        Value x = c.in(0);
        yield List.of(new Value(c.add(c.nd("Tile", x.ref(), c.in(1).ref()).putAttr("T", type(x.dtype()))
            .putAttr("Tmultiples", type(c.in(1).dtype()))), x.dtype(), x.rank()));
      }
      case "ConstantOfShape" -> {
        Tensor v = c.attrTensor("value");
        if (v == null) {
          v = Tensor.ofFloats(new long[] {1}, 0f);
        }
        String scalar = c.g.constant(c.base() + "/value", v.reshape(io.tfgw.core.tensor.Shape.scalar()));
        Value s = c.in(0);
        yield List.of(new Value(c.add(c.nd("Fill", s.ref(), scalar).putAttr("T", type(v.dtype()))
            .putAttr("index_type", type(s.dtype()))), v.dtype(), -1));
      }
      case "Range" -> {
        Value s = c.in(0);
        yield List.of(new Value(c.add(c.nd("Range", s.ref(), c.in(1).ref(), c.in(2).ref())
            .putAttr("Tidx", type(s.dtype()))), s.dtype(), 1));
      }
      case "Einsum" -> {
        List<String> ins = new ArrayList<>();
        for (int k = 0; k < c.inputs(); k++) {
          ins.add(c.in(k).ref());
        }
        Value x = c.in(0);
        yield List.of(new Value(c.add(c.nd("Einsum", ins.toArray(String[]::new)).putAttr("T", type(x.dtype()))
            .putAttr("N", i(ins.size())).putAttr("equation", str(c.attrString("equation", "")))), x.dtype(), -1));
      }
      case "TopK" -> topK(c);
      case "Split" -> split(c);
      default -> throw c.unsupported("no mapping");
    };
  }

  static int broadcastRank(Value a, Value b) {
    return a.rank() < 0 || b.rank() < 0 ? -1 : Math.max(a.rank(), b.rank());
  }

  private static Value identity(NodeContext c, Value x) {
    return x.at(c.op("Identity", x.dtype(), x.ref()), x.rank());
  }

  private static int axis(NodeContext c, long axis, int rank) {
    if (axis >= 0) {
      return (int) axis;
    }
    if (rank < 0) {
      throw c.unsupported("a negative axis on an input of unknown rank");
    }
    return (int) (axis + rank);
  }

  private static Value isInf(NodeContext c) {
    Value x = c.in(0);
    boolean neg = c.attrInt("detect_negative", 1) != 0;
    boolean pos = c.attrInt("detect_positive", 1) != 0;
    String r;
    if (neg && pos) {
      r = c.op("IsInf", x.dtype(), x.ref());
    } else {
      r = c.op("Equal", x.dtype(), x.ref(), c.scalar(x.dtype(), pos ? Double.POSITIVE_INFINITY
          : neg ? Double.NEGATIVE_INFINITY : Double.NaN));
    }
    return new Value(r, DType.BOOL, x.rank());
  }

  private static Value variadic(NodeContext c, String op) {
    Value acc = c.in(0);
    String tfOp = switch (op) {
      case "Max" -> "Maximum";
      case "Min" -> "Minimum";
      default -> "AddV2";
    };
    String r = acc.ref();
    int rank = acc.rank();
    for (int k = 1; k < c.inputs(); k++) {
      r = c.op(tfOp, acc.dtype(), r, c.in(k).ref());
      rank = broadcastRank(new Value(r, acc.dtype(), rank), c.in(k));
    }
    if (op.equals("Mean")) {
      r = c.op("RealDiv", acc.dtype(), r, c.scalar(acc.dtype(), c.inputs()));
    } else if (c.inputs() == 1) {
      r = c.op("Identity", acc.dtype(), r);
    }
    return new Value(r, acc.dtype(), rank);
  }

  private static List<Value> dropout(NodeContext c) {
    if (c.has(2) && c.g.constantValue(c.in(2).ref()) != null && c.constIn(2, "training_mode").bools()[0]) {
      throw c.unsupported("training_mode is true (only inference dropout, the identity, is mapped)");
    }
    if (c.has(2) && c.g.constantValue(c.in(2).ref()) == null) {
      throw c.unsupported("training_mode is fed at run time");
    }
    if (c.attrInt("is_test", 1) == 0 && c.opset < 7) {
      throw c.unsupported("is_test is 0 (training)");
    }
    Value x = c.in(0);
    List<Value> out = new ArrayList<>();
    out.add(identity(c, x));
    if (c.node.getOutputCount() > 1 && !c.node.getOutput(1).isEmpty()) {
      String ones = c.op("OnesLike", x.dtype(), x.ref());
      out.add(new Value(c.cast(ones, x.dtype(), DType.BOOL), DType.BOOL, x.rank()));
    }
    return out;
  }

  private static Value clip(NodeContext c) {
    Value x = c.in(0);
    String r = x.ref();
    if (c.opset < 11) {
      if (c.hasAttr("min")) {
        r = c.op("Maximum", x.dtype(), r, c.scalar(x.dtype(), c.attrFloat("min", 0)));
      }
      if (c.hasAttr("max")) {
        r = c.op("Minimum", x.dtype(), r, c.scalar(x.dtype(), c.attrFloat("max", 0)));
      }
    } else {
      if (c.has(1)) {
        r = c.op("Maximum", x.dtype(), r, c.in(1).ref());
      }
      if (c.has(2)) {
        r = c.op("Minimum", x.dtype(), r, c.in(2).ref());
      }
    }
    if (r.equals(x.ref())) {
      r = c.op("Identity", x.dtype(), r);
    }
    return new Value(r, x.dtype(), x.rank());
  }

  private static Value softmax(NodeContext c, String op) {
    Value x = c.in(0);
    String tfOp = op.equals("Softmax") ? "Softmax" : "LogSoftmax";
    if (c.opset < 13) {
      // before opset 13 the input is coerced to 2D [prod(shape[:axis]), prod(shape[axis:])]
      int axis = axis(c, c.attrInt("axis", 1), x.rank());
      if (x.rank() >= 0 && axis == x.rank() - 1) {
        return new Value(c.op(tfOp, x.dtype(), x.ref()), x.dtype(), x.rank());
      }
      String flat = flattenAt(c, x, axis);
      String y = c.op(tfOp, x.dtype(), flat);
      return new Value(c.reshape(y, x.dtype(), c.shapeOf(x.ref(), x.dtype()), DType.INT64), x.dtype(), x.rank());
    }
    long a = c.attrInt("axis", -1);
    if (a == -1 || x.rank() >= 0 && a == x.rank() - 1) {
      return new Value(c.op(tfOp, x.dtype(), x.ref()), x.dtype(), x.rank());
    }
    int axis = axis(c, a, x.rank());
    if (x.rank() < 0) {
      throw c.unsupported("softmax over axis " + a + " of an input of unknown rank");
    }
    int[] perm = new int[x.rank()];
    for (int k = 0; k < perm.length; k++) {
      perm[k] = k;
    }
    perm[axis] = perm.length - 1;
    perm[perm.length - 1] = axis;
    String t = c.transpose(x.ref(), x.dtype(), perm);
    return new Value(c.transpose(c.op(tfOp, x.dtype(), t), x.dtype(), perm), x.dtype(), x.rank());
  }

  /** {@code x} reshaped to 2D: [prod(shape[:axis]), -1]. */
  private static String flattenAt(NodeContext c, Value x, int axis) {
    String head;
    if (axis == 0) {
      head = c.constLongs(1);
    } else {
      String shape = c.shapeOf(x.ref(), x.dtype());
      String dims = c.sliceVector(shape, DType.INT64, 0, axis, false);
      String prod = c.add(c.nd("Prod", dims, c.g.constant(c.base() + "/axis", Tensor.scalar(0)))
          .putAttr("T", type(DType.INT64)).putAttr("Tidx", type(DType.INT32)).putAttr("keep_dims", b(true)));
      head = prod;
    }
    return c.reshape(x.ref(), x.dtype(), c.concat(DType.INT64, 0, head, c.constLongs(-1)), DType.INT64);
  }

  private static Value gemm(NodeContext c) {
    Value a = c.in(0);
    Value bm = c.in(1);
    float alpha = c.attrFloat("alpha", 1f);
    float beta = c.attrFloat("beta", 1f);
    String y = c.add(c.nd("MatMul", a.ref(), bm.ref()).putAttr("T", type(a.dtype()))
        .putAttr("transpose_a", b(c.attrInt("transA", 0) != 0)).putAttr("transpose_b", b(c.attrInt("transB", 0) != 0)));
    if (alpha != 1f) {
      y = c.op("Mul", a.dtype(), y, c.scalar(a.dtype(), alpha));
    }
    if (c.has(2) && beta != 0f) {
      String bias = c.in(2).ref();
      if (beta != 1f) {
        bias = c.op("Mul", a.dtype(), bias, c.scalar(a.dtype(), beta));
      }
      y = c.op("AddV2", a.dtype(), y, bias);
    }
    return new Value(y, a.dtype(), 2);
  }

  private static Value matmul(NodeContext c) {
    Value a = c.in(0);
    Value y = c.in(1);
    if (a.rank() == 1 || y.rank() == 1) {
      return vectorMatmul(c, a, y);
    }
    if (a.rank() == 2 && y.rank() == 2) {
      return new Value(c.add(c.nd("MatMul", a.ref(), y.ref()).putAttr("T", type(a.dtype()))
          .putAttr("transpose_a", b(false)).putAttr("transpose_b", b(false))), a.dtype(), 2);
    }
    return new Value(c.add(c.nd("BatchMatMulV2", a.ref(), y.ref()).putAttr("T", type(a.dtype()))
        .putAttr("adj_x", b(false)).putAttr("adj_y", b(false))), a.dtype(), broadcastRank(a, y));
  }

  /**
   * numpy's matmul with a 1-D operand: a vector first is a row [1, k], a vector second a column [k, 1]; the
   * dimension added is removed from the product (both vectors: a scalar).
   */
  private static Value vectorMatmul(NodeContext c, Value a, Value y) {
    if (a.rank() < 0 || y.rank() < 0) {
      throw c.unsupported("a 1-D operand with another of unknown rank");
    }
    DType t = a.dtype();
    String left = a.rank() == 1 ? expand(c, a, 0) : a.ref();
    String right = y.rank() == 1 ? expand(c, y, 1) : y.ref();
    int la = Math.max(a.rank(), 2);
    int ly = Math.max(y.rank(), 2);
    String product = la == 2 && ly == 2
        ? c.add(c.nd("MatMul", left, right).putAttr("T", type(t)).putAttr("transpose_a", b(false))
            .putAttr("transpose_b", b(false)))
        : c.add(c.nd("BatchMatMulV2", left, right).putAttr("T", type(t)).putAttr("adj_x", b(false))
            .putAttr("adj_y", b(false)));
    int rank = Math.max(la, ly);
    List<Long> squeeze = new ArrayList<>();
    if (a.rank() == 1) {
      squeeze.add((long) rank - 2);
    }
    if (y.rank() == 1) {
      squeeze.add((long) rank - 1);
    }
    String r = c.add(c.nd("Squeeze", product).putAttr("T", type(t)).putAttr("squeeze_dims",
        ints(squeeze.stream().mapToLong(Long::longValue).toArray())));
    return new Value(r, t, rank - squeeze.size());
  }

  private static String expand(NodeContext c, Value v, long axis) {
    return c.add(c.nd("ExpandDims", v.ref(), c.g.constant(c.base() + "/dim", Tensor.scalar(axis)))
        .putAttr("T", type(v.dtype())).putAttr("Tdim", type(DType.INT64)));
  }

  private static List<Value> batchNorm(NodeContext c) {
    if (c.attrInt("training_mode", 0) != 0) {
      throw c.unsupported("training_mode 1 (only inference batch normalization is mapped)");
    }
    for (int k = 1; k < c.node.getOutputCount(); k++) {
      if (!c.node.getOutput(k).isEmpty()) {
        throw c.unsupported("the running mean/variance outputs (training)");
      }
    }
    Value x = c.in(0);
    if (x.rank() < 0) {
      throw c.unsupported("an input of unknown rank");
    }
    DType t = x.dtype();
    float eps = c.attrFloat("epsilon", 1e-5f);
    // y = x * (scale / sqrt(var + eps)) + (bias - mean * scale / sqrt(var + eps)), per channel (axis 1)
    String std = c.op("Sqrt", t, c.op("AddV2", t, c.in(4).ref(), c.scalar(t, eps)));
    String mult = c.op("RealDiv", t, c.in(1).ref(), std);
    String shift = c.op("Sub", t, c.in(2).ref(), c.op("Mul", t, c.in(3).ref(), mult));
    if (x.rank() > 2) {
      long[] shape = new long[x.rank() - 1];
      Arrays.fill(shape, 1);
      shape[0] = -1;
      mult = c.reshape(mult, t, c.constLongs(shape), DType.INT64);
      shift = c.reshape(shift, t, c.constLongs(shape), DType.INT64);
    }
    String y = c.op("AddV2", t, c.op("Mul", t, x.ref(), mult), shift);
    return List.of(new Value(y, t, x.rank()));
  }

  private static Value reshape(NodeContext c) {
    Value x = c.in(0);
    boolean allowZero = c.attrInt("allowzero", 0) != 0;
    if (c.opset < 5) {
      long[] shape = c.attrInts("shape");
      return reshapeConst(c, x, shape, allowZero);
    }
    Tensor shape = c.g.constantValue(c.in(1).ref());
    if (shape != null) {
      return reshapeConst(c, x, shape.toLongs(), allowZero);
    }
    Value s = c.in(1);
    String target = c.cast(s.ref(), s.dtype(), DType.INT64);
    if (!allowZero) {
      // a 0 copies the input's dimension at that position
      String xs = c.shapeOf(x.ref(), x.dtype());
      String n = c.add(c.nd("Size", target).putAttr("T", type(DType.INT64)).putAttr("out_type", type(DType.INT64)));
      String padded = c.concat(DType.INT64, 0, xs, target);
      String begin = c.constLongs(0);
      String head = c.add(c.nd("Slice", padded, begin, c.reshape(n, DType.INT64, c.constLongs(1), DType.INT64))
          .putAttr("T", type(DType.INT64)).putAttr("Index", type(DType.INT64)));
      String isZero = c.op("Equal", DType.INT64, target, c.scalar(DType.INT64, 0));
      target = c.op("SelectV2", DType.INT64, isZero, head, target);
    }
    return new Value(c.reshape(x.ref(), x.dtype(), target, DType.INT64), x.dtype(), -1);
  }

  private static Value reshapeConst(NodeContext c, Value x, long[] shape, boolean allowZero) {
    boolean copies = false;
    for (long d : shape) {
      copies |= d == 0 && !allowZero;
    }
    String target;
    if (!copies) {
      target = c.constLongs(shape);
    } else {
      String xs = c.shapeOf(x.ref(), x.dtype());
      String[] parts = new String[shape.length];
      for (int k = 0; k < shape.length; k++) {
        parts[k] = shape[k] == 0 ? c.sliceVector(xs, DType.INT64, k, k + 1, false) : c.constLongs(shape[k]);
      }
      target = c.concat(DType.INT64, 0, parts);
    }
    return new Value(c.reshape(x.ref(), x.dtype(), target, DType.INT64), x.dtype(), shape.length);
  }

  private static Value flatten(NodeContext c) {
    Value x = c.in(0);
    int axis = axis(c, c.attrInt("axis", 1), x.rank());
    return new Value(flattenAt(c, x, axis), x.dtype(), 2);
  }

  private static Value transpose(NodeContext c) {
    Value x = c.in(0);
    long[] perm = c.attrInts("perm");
    if (perm == null) {
      if (x.rank() < 0) {
        throw c.unsupported("no perm on an input of unknown rank");
      }
      perm = new long[x.rank()];
      for (int k = 0; k < perm.length; k++) {
        perm[k] = perm.length - 1 - k;
      }
    }
    return new Value(c.transpose(x.ref(), x.dtype(), Arrays.stream(perm).mapToInt(v -> (int) v).toArray()),
        x.dtype(), perm.length);
  }

  private static Value concat(NodeContext c) {
    String[] parts = new String[c.inputs()];
    int rank = -1;
    for (int k = 0; k < parts.length; k++) {
      parts[k] = c.in(k).ref();
      rank = Math.max(rank, c.in(k).rank());
    }
    Value x = c.in(0);
    return new Value(c.concat(x.dtype(), (int) c.attrInt("axis", 0), parts), x.dtype(), rank);
  }

  private static Value gather(NodeContext c) {
    Value x = c.in(0);
    Value idx = c.in(1);
    long axis = c.attrInt("axis", 0);
    Tensor constIdx = c.g.constantValue(idx.ref());
    boolean negative = constIdx == null;
    if (constIdx != null) {
      for (long v : constIdx.toLongs()) {
        negative |= v < 0;
      }
    }
    String indices = idx.ref();
    if (negative) {
      // ONNX counts negative indices from the end; TF's GatherV2 rejects them
      String dims = c.shapeOf(x.ref(), x.dtype());
      String dim = c.add(c.nd("GatherV2", dims, c.g.constant(c.base() + "/axis", Tensor.scalar((int) axis)),
          c.g.constant(c.base() + "/axis0", Tensor.scalar(0))).putAttr("Tparams", type(DType.INT64))
          .putAttr("Tindices", type(DType.INT32)).putAttr("Taxis", type(DType.INT32)).putAttr("batch_dims", i(0)));
      dim = c.cast(dim, DType.INT64, idx.dtype());
      String isNeg = c.op("Less", idx.dtype(), indices, c.scalar(idx.dtype(), 0));
      indices = c.op("SelectV2", idx.dtype(), isNeg, c.op("AddV2", idx.dtype(), indices, dim), indices);
    }
    String r = c.add(c.nd("GatherV2", x.ref(), indices, c.g.constant(c.base() + "/axis", Tensor.scalar(axis)))
        .putAttr("Tparams", type(x.dtype())).putAttr("Tindices", type(idx.dtype())).putAttr("Taxis", type(DType.INT64))
        .putAttr("batch_dims", i(0)));
    return new Value(r, x.dtype(), x.rank() < 0 || idx.rank() < 0 ? -1 : x.rank() + idx.rank() - 1);
  }

  private static long[] axesOf(NodeContext c, int inputIndex, int attrOpsetBelow) {
    if (c.opset < attrOpsetBelow) {
      return c.attrInts("axes");
    }
    return c.has(inputIndex) ? c.constIn(inputIndex, "axes").toLongs() : null;
  }

  private static Value unsqueeze(NodeContext c) {
    Value x = c.in(0);
    long[] axes = axesOf(c, 1, 13);
    if (axes == null) {
      throw c.unsupported("no axes");
    }
    int outRank = x.rank() < 0 ? -1 : x.rank() + axes.length;
    long[] normalized = new long[axes.length];
    for (int k = 0; k < axes.length; k++) {
      normalized[k] = axis(c, axes[k], outRank);
    }
    Arrays.sort(normalized);
    String r = x.ref();
    for (long a : normalized) {
      r = c.add(c.nd("ExpandDims", r, c.g.constant(c.base() + "/dim", Tensor.scalar((int) a)))
          .putAttr("T", type(x.dtype())).putAttr("Tdim", type(DType.INT32)));
    }
    return new Value(r, x.dtype(), outRank);
  }

  private static Value squeeze(NodeContext c) {
    Value x = c.in(0);
    long[] axes = axesOf(c, 1, 13);
    var nd = c.nd("Squeeze", x.ref()).putAttr("T", type(x.dtype()));
    if (axes != null) {
      nd.putAttr("squeeze_dims", ints(axes));
    }
    return new Value(c.add(nd), x.dtype(), axes == null || x.rank() < 0 ? -1 : x.rank() - axes.length);
  }

  private static final long INDEX_LIMIT = Integer.MAX_VALUE;

  private static Value slice(NodeContext c) {
    Value x = c.in(0);
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (c.opset < 10) {
      starts = c.attrInts("starts");
      ends = c.attrInts("ends");
      axes = c.attrInts("axes");
    } else {
      starts = c.constIn(1, "starts").toLongs();
      ends = c.constIn(2, "ends").toLongs();
      axes = c.has(3) ? c.constIn(3, "axes").toLongs() : null;
      steps = c.has(4) ? c.constIn(4, "steps").toLongs() : null;
    }
    if (axes == null) {
      axes = new long[starts.length];
      for (int k = 0; k < axes.length; k++) {
        axes[k] = k;
      }
    }
    int n = 0;
    int[] ax = new int[axes.length];
    for (int k = 0; k < axes.length; k++) {
      ax[k] = axis(c, axes[k], x.rank());
      n = Math.max(n, ax[k] + 1);
    }
    long[] begin = new long[n];
    long[] end = new long[n];
    long[] stride = new long[n];
    Arrays.fill(stride, 1);
    long beginMask = (1L << n) - 1;
    long endMask = (1L << n) - 1;
    for (int k = 0; k < ax.length; k++) {
      int a = ax[k];
      // clamp ONNX's INT64_MAX-style bounds into a range the int64 arithmetic of any kernel handles
      begin[a] = Math.max(-INDEX_LIMIT, Math.min(INDEX_LIMIT, starts[k]));
      end[a] = Math.max(-INDEX_LIMIT, Math.min(INDEX_LIMIT, ends[k]));
      stride[a] = steps == null ? 1 : steps[k];
      if (stride[a] == 0) {
        throw c.unsupported("a step of 0");
      }
      beginMask &= ~(1L << a);
      endMask &= ~(1L << a);
    }
    String r = c.add(c.nd("StridedSlice", x.ref(), c.constLongs(begin), c.constLongs(end), c.constLongs(stride))
        .putAttr("T", type(x.dtype())).putAttr("Index", type(DType.INT64)).putAttr("begin_mask", i(beginMask))
        .putAttr("end_mask", i(endMask)).putAttr("ellipsis_mask", i(0)).putAttr("new_axis_mask", i(0))
        .putAttr("shrink_axis_mask", i(0)));
    return new Value(r, x.dtype(), x.rank());
  }

  private static Value shape(NodeContext c) {
    Value x = c.in(0);
    String s = c.shapeOf(x.ref(), x.dtype());
    if (c.hasAttr("start") || c.hasAttr("end")) {
      long start = c.attrInt("start", 0);
      Long end = c.hasAttr("end") ? c.attrInt("end", 0) : null;
      if ((start < 0 || end != null && end < 0) && x.rank() < 0) {
        throw c.unsupported("negative start/end on an input of unknown rank");
      }
      int r = x.rank();
      long b0 = start < 0 ? start + r : start;
      long e0 = end == null ? 0 : end < 0 ? end + r : end;
      s = c.sliceVector(s, DType.INT64, b0, e0, end == null);
    }
    return new Value(s, DType.INT64, 1);
  }

  private static Value constant(NodeContext c) {
    Tensor t = c.attrTensor("value");
    if (t == null) {
      if (c.hasAttr("value_float")) {
        t = Tensor.scalar(c.attrFloat("value_float", 0));
      } else if (c.hasAttr("value_int")) {
        t = Tensor.scalar(c.attrInt("value_int", 0));
      } else if (c.hasAttr("value_floats")) {
        float[] v = c.attrFloats("value_floats");
        t = Tensor.ofFloats(new long[] {v.length}, v);
      } else if (c.hasAttr("value_ints")) {
        long[] v = c.attrInts("value_ints");
        t = Tensor.ofLongs(new long[] {v.length}, v);
      } else {
        throw c.unsupported("a sparse or string-list value");
      }
    }
    return new Value(c.g.constant(c.base(), t), t.dtype(), t.rank());
  }

  private static Value pad(NodeContext c) {
    Value x = c.in(0);
    String mode = c.attrString("mode", "constant");
    long[] pads;
    double value = 0;
    if (c.opset < 11) {
      pads = c.attrInts(c.opset < 2 ? "paddings" : "pads");
      value = c.attrFloat("value", 0f);
    } else {
      pads = c.constIn(1, "pads").toLongs();
      if (c.has(2)) {
        value = c.constIn(2, "constant_value").getDouble(0);
      }
      if (c.has(3)) {
        throw c.unsupported("the axes input (opset 18)");
      }
    }
    int rank = pads.length / 2;
    int[][] rows = new int[rank][2];
    for (int k = 0; k < rank; k++) {
      if (pads[k] < 0 || pads[k + rank] < 0) {
        throw c.unsupported("negative pads (cropping)");
      }
      rows[k][0] = Math.toIntExact(pads[k]);
      rows[k][1] = Math.toIntExact(pads[k + rank]);
    }
    String paddings = c.constIntMatrix(rows);
    String r = switch (mode) {
      case "constant" -> c.add(c.nd("PadV2", x.ref(), paddings, c.scalar(x.dtype(), value))
          .putAttr("T", type(x.dtype())).putAttr("Tpaddings", type(DType.INT32)));
      case "reflect" -> c.add(c.nd("MirrorPad", x.ref(), paddings).putAttr("T", type(x.dtype()))
          .putAttr("Tpaddings", type(DType.INT32)).putAttr("mode", str("REFLECT")));
      case "edge" -> edgePad(c, x, rows);
      default -> throw c.unsupported("mode '" + mode + "' (constant, reflect and edge are mapped)");
    };
    return new Value(r, x.dtype(), rank);
  }

  /**
   * Pad mode edge (TF has no such MirrorPad mode): axis by axis, the first and last slices along the axis tiled
   * {@code before} and {@code after} times around the input. Slices are taken with masks, so no size need be known.
   */
  private static String edgePad(NodeContext c, Value x, int[][] rows) {
    int rank = rows.length;
    String y = x.ref();
    for (int k = 0; k < rank; k++) {
      if (rows[k][0] == 0 && rows[k][1] == 0) {
        continue;
      }
      List<String> parts = new ArrayList<>();
      int others = ((1 << rank) - 1) & ~(1 << k);
      if (rows[k][0] > 0) {
        parts.add(tileAlong(c, x.dtype(), edgeSlice(c, x.dtype(), y, rank, k, 0, 1, others, others), rank, k,
            rows[k][0]));
      }
      parts.add(y);
      if (rows[k][1] > 0) {
        parts.add(tileAlong(c, x.dtype(), edgeSlice(c, x.dtype(), y, rank, k, -1, 0, others, (1 << rank) - 1), rank,
            k, rows[k][1]));
      }
      y = c.concat(x.dtype(), k, parts.toArray(String[]::new));
    }
    return y;
  }

  private static String edgeSlice(NodeContext c, DType t, String x, int rank, int axis, long begin, long end,
      int beginMask, int endMask) {
    long[] b = new long[rank];
    long[] e = new long[rank];
    long[] s = new long[rank];
    java.util.Arrays.fill(s, 1);
    b[axis] = begin;
    e[axis] = end;
    return c.add(c.nd("StridedSlice", x, c.constLongs(b), c.constLongs(e), c.constLongs(s)).putAttr("T", type(t))
        .putAttr("Index", type(DType.INT64)).putAttr("begin_mask", i(beginMask)).putAttr("end_mask", i(endMask))
        .putAttr("ellipsis_mask", i(0)).putAttr("new_axis_mask", i(0)).putAttr("shrink_axis_mask", i(0)));
  }

  private static String tileAlong(NodeContext c, DType t, String x, int rank, int axis, int times) {
    long[] multiples = new long[rank];
    java.util.Arrays.fill(multiples, 1);
    multiples[axis] = times;
    return c.add(c.nd("Tile", x, c.constLongs(multiples)).putAttr("T", type(t))
        .putAttr("Tmultiples", type(DType.INT64)));
  }

  private static Value reduce(NodeContext c, String op) {
    Value x = c.in(0);
    // axes became an input in opset 13 for ReduceSum and in opset 18 for the others
    long[] axes = axesOf(c, 1, op.equals("ReduceSum") ? 13 : 18);
    boolean keep = c.attrInt("keepdims", 1) != 0;
    if (axes != null && axes.length == 0) {
      axes = null;
    }
    if (axes == null && c.attrInt("noop_with_empty_axes", 0) != 0) {
      return identity(c, x);
    }
    String tfOp = switch (op) {
      case "ReduceMean" -> "Mean";
      case "ReduceSum" -> "Sum";
      case "ReduceMax" -> "Max";
      case "ReduceMin" -> "Min";
      default -> "Prod";
    };
    String indices;
    int outRank;
    if (axes == null) {
      String rank = c.add(c.nd("Rank", x.ref()).putAttr("T", type(x.dtype())));
      indices = c.add(c.nd("Range", c.g.constant(c.base() + "/start", Tensor.scalar(0)), rank,
          c.g.constant(c.base() + "/delta", Tensor.scalar(1))).putAttr("Tidx", type(DType.INT32)));
      outRank = keep ? x.rank() : 0;
    } else {
      indices = c.constLongs(axes);
      outRank = keep || x.rank() < 0 ? x.rank() : x.rank() - axes.length;
    }
    String r = c.add(c.nd(tfOp, x.ref(), indices).putAttr("T", type(x.dtype()))
        .putAttr("Tidx", type(axes == null ? DType.INT32 : DType.INT64)).putAttr("keep_dims", b(keep)));
    return new Value(r, x.dtype(), outRank);
  }

  private static Value argMax(NodeContext c, String op) {
    Value x = c.in(0);
    if (c.attrInt("select_last_index", 0) != 0) {
      throw c.unsupported("select_last_index 1 (TF returns the first index)");
    }
    long axis = c.attrInt("axis", 0);
    String r = c.add(c.nd(op, x.ref(), c.g.constant(c.base() + "/axis", Tensor.scalar(axis)))
        .putAttr("T", type(x.dtype())).putAttr("Tidx", type(DType.INT64)).putAttr("output_type", type(DType.INT64)));
    int rank = x.rank() < 0 ? -1 : x.rank() - 1;
    if (c.attrInt("keepdims", 1) != 0) {
      r = c.add(c.nd("ExpandDims", r, c.g.constant(c.base() + "/dim", Tensor.scalar(axis)))
          .putAttr("T", type(DType.INT64)).putAttr("Tdim", type(DType.INT64)));
      rank = x.rank();
    }
    return new Value(r, DType.INT64, rank);
  }

  /**
   * TopK as TF's TopKV2, which works on the last axis and takes the largest: another axis is transposed to the end
   * and back (swapping two axes is its own inverse), the smallest of floats are the largest of their negation (ties
   * keep the lower index first either way, as ONNX asks).
   */
  private static List<Value> topK(NodeContext c) {
    Value x = c.in(0);
    boolean largest = c.attrInt("largest", 1) != 0;
    if (!largest && !x.dtype().isFloating()) {
      throw c.unsupported("largest 0 on " + x.dtype() + " (only floats can be negated without overflow)");
    }
    long axis = c.attrInt("axis", -1);
    int rank = x.rank();
    boolean last = axis == -1 || rank >= 0 && axis == rank - 1;
    if (!last && rank < 0) {
      throw c.unsupported("axis " + axis + " of an input of unknown rank (TF's TopKV2 works on the last axis)");
    }
    String k;
    if (c.opset < 10) {
      k = c.g.constant(c.base() + "/k", Tensor.scalar((int) c.attrInt("k", 0)));
    } else {
      Value kv = c.in(1);
      k = c.cast(c.reshape(kv.ref(), kv.dtype(), c.g.constant(c.base() + "/scalar_shape",
          Tensor.ofLongs(new long[] {0})), DType.INT64), kv.dtype(), DType.INT32);
    }
    int[] swap = null;
    String in = x.ref();
    if (!last) {
      int a = (int) (axis < 0 ? axis + rank : axis);
      if (a < 0 || a >= rank) {
        throw c.unsupported("axis " + axis + " of a " + rank + "-D input");
      }
      swap = new int[rank];
      for (int i = 0; i < rank; i++) {
        swap[i] = i;
      }
      swap[a] = rank - 1;
      swap[rank - 1] = a;
      in = c.transpose(in, x.dtype(), swap);
    }
    if (!largest) {
      in = c.op("Neg", x.dtype(), in);
    }
    String topk = c.add(c.nd("TopKV2", in, k).putAttr("T", type(x.dtype()))
        .putAttr("sorted", b(true)));
    String values = largest ? topk : c.op("Neg", x.dtype(), topk);
    String indices = c.cast(topk + ":1", DType.INT32, DType.INT64);
    if (swap != null) {
      values = c.transpose(values, x.dtype(), swap);
      indices = c.transpose(indices, DType.INT64, swap);
    }
    return List.of(new Value(values, x.dtype(), x.rank()), new Value(indices, DType.INT64, x.rank()));
  }

  private static List<Value> split(NodeContext c) {
    Value x = c.in(0);
    long axis = c.attrInt("axis", 0);
    int n = c.node.getOutputCount();
    long[] sizes = c.opset < 13 ? c.attrInts("split") : c.has(1) ? c.constIn(1, "split").toLongs() : null;
    String axisConst = c.g.constant(c.base() + "/axis", Tensor.scalar((int) axis));
    String r;
    if (sizes == null && c.opset >= 18 && c.attrInt("num_outputs", 0) > 0) {
      // opset 18's num_outputs may split unevenly: ceil(size / n) each, the last one what remains
      r = c.add(c.nd("SplitV", x.ref(), unevenSplitSizes(c, x, axis, n), axisConst).putAttr("T", type(x.dtype()))
          .putAttr("Tlen", type(DType.INT64)).putAttr("num_split", i(n)));
    } else if (sizes == null) {
      r = c.add(c.nd("Split", axisConst, x.ref()).putAttr("T", type(x.dtype())).putAttr("num_split", i(n)));
    } else {
      r = c.add(c.nd("SplitV", x.ref(), c.constLongs(sizes), axisConst).putAttr("T", type(x.dtype()))
          .putAttr("Tlen", type(DType.INT64)).putAttr("num_split", i(n)));
    }
    List<Value> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      out.add(new Value(k == 0 ? r : r + ":" + k, x.dtype(), x.rank()));
    }
    return out;
  }

  /** {@code [c, .., c, size - (n - 1) c]} with {@code c = ceil(size / n)}, computed from the input's shape. */
  private static String unevenSplitSizes(NodeContext c, Value x, long axis, int n) {
    if (axis < 0 && x.rank() < 0) {
      throw c.unsupported("a negative axis of an input of unknown rank");
    }
    long a = axis < 0 ? axis + x.rank() : axis;
    if (n < 1) {
      throw c.unsupported("a Split without outputs");
    }
    String size = c.sliceVector(c.shapeOf(x.ref(), x.dtype()), DType.INT64, a, a + 1, false);
    String part = c.op("FloorDiv", DType.INT64, c.op("AddV2", DType.INT64, size, c.constLongs(n - 1)),
        c.constLongs(n));
    String last = c.op("Sub", DType.INT64, size, c.op("Mul", DType.INT64, part, c.constLongs(n - 1)));
    String[] parts = new String[n];
    java.util.Arrays.fill(parts, part);
    parts[n - 1] = last;
    return c.concat(DType.INT64, 0, parts);
  }

  /** ONNX element types by name, for messages. */
  static String typeName(int elemType) {
    return OnnxTypes.dtype(elemType).pythonName();
  }
}
