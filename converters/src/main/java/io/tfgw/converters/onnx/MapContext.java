package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.NodeDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/** What a mapping sees of one TensorFlow node: its inputs as ONNX values, its attributes, and the graph to emit into. */
final class MapContext {
  final NodeDef node;
  final OnnxGraph g;
  final int opset;
  private final List<String> inputs;
  private final String[] outputs;

  MapContext(NodeDef node, OnnxGraph g, int opset, List<String> inputs, int outputCount) {
    this.node = node;
    this.g = g;
    this.opset = opset;
    this.inputs = inputs;
    this.outputs = new String[outputCount];
  }

  String name() {
    return node.getName();
  }

  String op() {
    return node.getOp();
  }

  int inputCount() {
    return inputs.size();
  }

  String in(int i) {
    return inputs.get(i);
  }

  OnnxGraph.Meta meta(int i) {
    return g.meta(in(i));
  }

  DType dtype(int i) {
    return meta(i).dtype();
  }

  long[] shape(int i) {
    long[] s = meta(i).shape();
    return s == null ? null : s.clone();
  }

  int rank(int i) {
    return meta(i).rank();
  }

  /** Input i's rank, which this mapping cannot do without. */
  int requireRank(int i) {
    int r = rank(i);
    if (r < 0) {
      throw new UnsupportedInputException("the rank of its input " + i + " (" + node.getInput(i) + ") is not known "
          + "statically");
    }
    return r;
  }

  boolean isConstant(int i) {
    return g.constants.containsKey(in(i));
  }

  /** Input i's value when it is a constant small enough to read; null otherwise. */
  Tensor constant(int i) {
    ConstValue c = g.constants.get(in(i));
    return c == null || !c.isSmall() ? null : c.materialize();
  }

  ConstValue constValue(int i) {
    return g.constants.get(in(i));
  }

  Tensor requireConstant(int i, String what) {
    Tensor t = constant(i);
    if (t == null) {
      throw new UnsupportedInputException("its " + what + " (input " + i + ", " + node.getInput(i) + ") is computed at "
          + "run time; the ONNX mapping needs it constant");
    }
    return t;
  }

  /**
   * Input i's integer elements: all of a constant, or those a Pack of partly constant scalars fixed (null where
   * computed at run time); null when nothing is known.
   */
  Long[] knownElements(int i) {
    Tensor t = constant(i);
    if (t != null) {
      return java.util.Arrays.stream(t.toLongs()).boxed().toArray(Long[]::new);
    }
    Long[] known = g.knownElements.get(in(i));
    return known == null ? null : known.clone();
  }

  long[] requireLongs(int i, String what) {
    return requireConstant(i, what).toLongs();
  }

  // attributes

  AttrValue attr(String key) {
    return node.getAttrMap().get(key);
  }

  long attrInt(String key, long dflt) {
    AttrValue a = attr(key);
    return a == null ? dflt : a.getI();
  }

  float attrFloat(String key, float dflt) {
    AttrValue a = attr(key);
    return a == null ? dflt : a.getF();
  }

  boolean attrBool(String key, boolean dflt) {
    AttrValue a = attr(key);
    return a == null ? dflt : a.getB();
  }

  String attrString(String key, String dflt) {
    AttrValue a = attr(key);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  long[] attrInts(String key) {
    AttrValue a = attr(key);
    return a == null ? null : a.getList().getIList().stream().mapToLong(Long::longValue).toArray();
  }

  DType attrType(String key) {
    AttrValue a = attr(key);
    return a == null ? null : DType.fromNumber(a.getTypeValue());
  }

  // emission

  /** Emits one node with one output; returns the output value. */
  String emit(String op, List<String> ins, DType dtype, long[] shape, Consumer<OnnxNode> attrs) {
    return emitN(op, ins, 1, new DType[] {dtype}, new long[][] {shape}, attrs).get(0);
  }

  String emit(String op, List<String> ins, DType dtype, long[] shape) {
    return emit(op, ins, dtype, shape, n -> { });
  }

  List<String> emitN(String op, List<String> ins, int count, DType[] dtypes, long[][] shapes,
      Consumer<OnnxNode> attrs) {
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String v = g.fresh(name() + "/" + op + (count > 1 ? "_" + i : ""));
      outs.add(v);
      g.meta.put(v, new OnnxGraph.Meta(dtypes[i], shapes[i]));
    }
    OnnxNode n = g.add(op, g.fresh("node:" + name() + "/" + op), ins, outs);
    attrs.accept(n);
    return outs;
  }

  /** Binds TF output i of this node to an ONNX value. */
  void output(int i, String value) {
    outputs[i] = value;
  }

  String[] outputs() {
    return outputs;
  }

  String constant(Tensor t) {
    return g.constant(name() + "/const", t);
  }

  String int64s(long... v) {
    return constant(Tensor.ofLongs(new long[] {v.length}, v));
  }

  String scalar(DType dtype, double v) {
    Tensor t = switch (dtype) {
      case FLOAT -> Tensor.scalar((float) v);
      case DOUBLE -> Tensor.scalar(v);
      case INT32 -> Tensor.scalar((int) v);
      case INT64 -> Tensor.scalar((long) v);
      case BOOL -> Tensor.scalar(v != 0);
      default -> throw new UnsupportedInputException("a " + dtype + " constant is not supported here");
    };
    return constant(t);
  }

  /** value as int64 (ONNX's index type): constants converted here, others by a Cast node. */
  String asInt64(int i) {
    if (dtype(i) == DType.INT64) {
      return in(i);
    }
    Tensor c = constant(i);
    if (c != null) {
      return constant(Tensor.ofLongs(c.dims(), c.toLongs()));
    }
    return cast(in(i), DType.INT64);
  }

  String cast(String value, DType to) {
    OnnxGraph.Meta m = g.meta(value);
    if (m.dtype() == to) {
      return value;
    }
    return emit("Cast", List.of(value), to, m.shape(), n -> n.attr("to", OnnxTypes.elemType(to)));
  }

  /** value with its axes permuted; constants are permuted when written, others by a Transpose node. */
  String transpose(String value, int[] perm) {
    OnnxGraph.Meta m = g.meta(value);
    long[] shape = m.shape() == null ? null : permuted(m.shape(), perm);
    ConstValue c = g.constants.get(value);
    if (c != null && c.dtype() != DType.STRING) {
      return g.constant(value + "/transposed", c.transposed(perm));
    }
    return emit("Transpose", List.of(value), m.dtype(), shape, n -> n.attr("perm", perm));
  }

  static long[] permuted(long[] shape, int[] perm) {
    long[] out = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = shape[perm[i]];
    }
    return out;
  }

  /** Unsqueeze/Squeeze/Reduce*: axes as an input (opset 13+ for Squeeze/Unsqueeze/ReduceSum, 18+ for the rest). */
  String withAxes(String op, String value, long[] axes, DType dtype, long[] shape, boolean axesAsInput,
      Consumer<OnnxNode> attrs) {
    if (axesAsInput) {
      return emit(op, List.of(value, int64s(axes)), dtype, shape, attrs);
    }
    return emit(op, List.of(value), dtype, shape, n -> {
      n.attr("axes", axes);
      attrs.accept(n);
    });
  }

  @Override
  public String toString() {
    return node.getOp() + " (node '" + node.getName() + "') " + Arrays.toString(outputs);
  }
}
