package io.tfgw.converters.onnx.read;

import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.proto.onnx.NodeProto;
import java.util.HashMap;
import java.util.Map;

/** One ONNX node being mapped: its inputs as TF values, its attributes, and helpers that append TF nodes. */
final class NodeContext {
  final NodeProto node;
  final long opset;
  final TfGraphBuilder g;
  private final Map<String, Value> values;
  private final Map<String, AttributeProto> attrs = new HashMap<>();
  private final OnnxFile file;
  private final Map<String, long[]> declaredShapes;

  NodeContext(NodeProto node, long opset, TfGraphBuilder g, Map<String, Value> values, OnnxFile file,
      Map<String, long[]> declaredShapes) {
    this.declaredShapes = declaredShapes;
    this.node = node;
    this.opset = opset;
    this.g = g;
    this.values = values;
    this.file = file;
    for (AttributeProto a : node.getAttributeList()) {
      attrs.put(a.getName(), a);
    }
  }

  /** The ONNX values in scope, as TF tensors (for the subgraphs of Loop and If). */
  Map<String, Value> values() {
    return values;
  }

  OnnxFile file() {
    return file;
  }

  Map<String, long[]> declaredShapes() {
    return declaredShapes;
  }

  /** How errors name this node: {@code Conv (node 'conv1')}. */
  String where() {
    return node.getOpType() + " (node '" + (node.getName().isEmpty() ? node.getOutput(0) : node.getName()) + "')";
  }

  /** The base for the TF nodes this ONNX node becomes. */
  String base() {
    return node.getName().isEmpty() ? (node.getOutputCount() > 0 ? node.getOutput(0) : node.getOpType())
        : node.getName();
  }

  UnsupportedInputException unsupported(String why) {
    return new UnsupportedInputException(where() + ": " + why + "; tfgw cannot map this to TensorFlow ops");
  }

  boolean has(int i) {
    return i < node.getInputCount() && !node.getInput(i).isEmpty();
  }

  int inputs() {
    return node.getInputCount();
  }

  Value in(int i) {
    if (!has(i)) {
      throw new io.tfgw.core.CorruptInputException(where() + " lacks its input " + i);
    }
    Value v = values.get(node.getInput(i));
    if (v == null) {
      throw new io.tfgw.core.CorruptInputException(where() + " reads '" + node.getInput(i) + "', which is neither a "
          + "graph input, an initializer nor the output of an earlier node (nodes must be in topological order)");
    }
    return v;
  }

  /** The input's value, which this mapping needs as a constant. */
  Tensor constIn(int i, String what) {
    Tensor t = g.constantValue(in(i).ref());
    if (t == null) {
      throw unsupported(what + " (input '" + node.getInput(i) + "') is computed from the graph's inputs, but must be "
          + "a constant");
    }
    return t;
  }

  /** The input's static shape when it is a constant, else null. */
  long[] constShape(int i) {
    Tensor t = g.constantValue(in(i).ref());
    return t == null ? null : t.dims();
  }

  /** The input's static dims (-1 where unknown): a constant's, or as the file declares them; null if unknown. */
  long[] staticDims(int i) {
    long[] c = constShape(i);
    return c != null ? c : declaredShapes.get(node.getInput(i));
  }

  boolean hasAttr(String name) {
    return attrs.containsKey(name);
  }

  long attrInt(String name, long def) {
    AttributeProto a = attrs.get(name);
    return a == null ? def : a.getI();
  }

  float attrFloat(String name, float def) {
    AttributeProto a = attrs.get(name);
    return a == null ? def : a.getF();
  }

  String attrString(String name, String def) {
    AttributeProto a = attrs.get(name);
    return a == null ? def : a.getS().toStringUtf8();
  }

  long[] attrInts(String name) {
    AttributeProto a = attrs.get(name);
    return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  float[] attrFloats(String name) {
    AttributeProto a = attrs.get(name);
    if (a == null) {
      return null;
    }
    float[] out = new float[a.getFloatsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getFloats(i);
    }
    return out;
  }

  Tensor attrTensor(String name) {
    AttributeProto a = attrs.get(name);
    return a == null ? null : Tensor.fromData(file.tensor(a.getT(), where() + " attribute " + name));
  }

  // ---- building TF nodes

  NodeDef.Builder nd(String op, String... inputs) {
    return g.node(base() + "/" + op, op, inputs);
  }

  /** Adds an op with attribute T; returns output 0's reference. */
  String op(String op, DType t, String... inputs) {
    return g.add(nd(op, inputs).putAttr("T", TfGraphBuilder.type(t)));
  }

  String add(NodeDef.Builder b) {
    return g.add(b);
  }

  String constLongs(long... v) {
    return g.constant(base() + "/const", Tensor.ofLongs(new long[] {v.length}, v));
  }

  String constInts(int... v) {
    return g.constant(base() + "/const", Tensor.ofInts(new long[] {v.length}, v));
  }

  String constIntMatrix(int[][] rows) {
    int[] flat = new int[rows.length * 2];
    for (int i = 0; i < rows.length; i++) {
      flat[2 * i] = rows[i][0];
      flat[2 * i + 1] = rows[i][1];
    }
    return g.constant(base() + "/paddings", Tensor.ofInts(new long[] {rows.length, 2}, flat));
  }

  /** A scalar of the dtype holding {@code v}. */
  String scalar(DType t, double v) {
    Tensor s = switch (t) {
      case FLOAT -> Tensor.scalar((float) v);
      case DOUBLE -> Tensor.scalar(v);
      case INT32 -> Tensor.scalar((int) v);
      case INT64 -> Tensor.scalar((long) v);
      case BOOL -> Tensor.scalar(v != 0);
      default -> Tensor.of(t, Shape.scalar(), castScalar(t, v));
    };
    return g.constant(base() + "/scalar", s);
  }

  private static Object castScalar(DType t, double v) {
    Object a = Tensor.allocate(t, 1);
    if (a instanceof short[] s) {
      s[0] = (short) v;
    } else if (a instanceof byte[] b) {
      b[0] = (byte) v;
    } else if (a instanceof int[] i) {
      i[0] = (int) v;
    } else if (a instanceof long[] l) {
      l[0] = (long) v;
    } else {
      throw new UnsupportedInputException("cannot make a " + t + " constant");
    }
    return a;
  }

  String transpose(String x, DType t, int... perm) {
    return g.add(nd("Transpose", x, constInts(perm)).putAttr("T", TfGraphBuilder.type(t))
        .putAttr("Tperm", TfGraphBuilder.type(DType.INT32)));
  }

  String reshape(String x, DType t, String shape, DType shapeType) {
    return g.add(nd("Reshape", x, shape).putAttr("T", TfGraphBuilder.type(t))
        .putAttr("Tshape", TfGraphBuilder.type(shapeType)));
  }

  String shapeOf(String x, DType t) {
    return g.add(nd("Shape", x).putAttr("T", TfGraphBuilder.type(t)).putAttr("out_type", TfGraphBuilder.type(DType.INT64)));
  }

  String cast(String x, DType from, DType to) {
    if (from == to) {
      return x;
    }
    return g.add(nd("Cast", x).putAttr("SrcT", TfGraphBuilder.type(from)).putAttr("DstT", TfGraphBuilder.type(to))
        .putAttr("Truncate", TfGraphBuilder.b(false)));
  }

  /** {@code x[begin:end]} of a vector, int64 indices. */
  String sliceVector(String x, DType t, long begin, long end, boolean toEnd) {
    return g.add(nd("StridedSlice", x, constLongs(begin), constLongs(end), constLongs(1))
        .putAttr("T", TfGraphBuilder.type(t)).putAttr("Index", TfGraphBuilder.type(DType.INT64))
        .putAttr("begin_mask", TfGraphBuilder.i(0)).putAttr("end_mask", TfGraphBuilder.i(toEnd ? 1 : 0))
        .putAttr("ellipsis_mask", TfGraphBuilder.i(0)).putAttr("new_axis_mask", TfGraphBuilder.i(0))
        .putAttr("shrink_axis_mask", TfGraphBuilder.i(0)));
  }

  String concat(DType t, int axis, String... parts) {
    String[] inputs = java.util.Arrays.copyOf(parts, parts.length + 1);
    inputs[parts.length] = g.constant(base() + "/axis", Tensor.scalar(axis));
    return g.add(nd("ConcatV2", inputs).putAttr("T", TfGraphBuilder.type(t)).putAttr("N", TfGraphBuilder.i(parts.length))
        .putAttr("Tidx", TfGraphBuilder.type(DType.INT32)));
  }
}
