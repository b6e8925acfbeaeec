package io.tfgw.converters.keras;

import com.google.protobuf.ByteString;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorProto;
import io.tfgw.proto.TensorShapeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Appends TF1 nodes to a GraphDef with unique names: the small vocabulary the Keras graph builder uses. */
final class GraphOps {
  static final AttrValue FLOAT = type(DataType.DT_FLOAT);
  static final AttrValue INT32 = type(DataType.DT_INT32);

  private final GraphDef.Builder graph = GraphDef.newBuilder();
  private final Set<String> names = new HashSet<>();

  GraphDef build() {
    return graph.build();
  }

  boolean has(String name) {
    return names.contains(name);
  }

  /** {@code base}, or {@code base_1}, {@code base_2}, ... when taken. */
  String unique(String base) {
    if (!names.contains(base)) {
      return base;
    }
    for (int i = 1; ; i++) {
      String n = base + "_" + i;
      if (!names.contains(n)) {
        return n;
      }
    }
  }

  /** Adds a node named {@code name} (made unique); returns its first output's tensor name. */
  String add(NodeDef.Builder node) {
    String name = unique(node.getName());
    node.setName(name);
    names.add(name);
    graph.addNode(node);
    return name;
  }

  NodeDef.Builder node(String name, String op, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(op);
    for (String in : inputs) {
      b.addInput(in);
    }
    return b;
  }

  /** An op with attribute T = float. */
  String op(String name, String op, String... inputs) {
    return add(node(name, op, inputs).putAttr("T", FLOAT));
  }

  String placeholder(String name, DataType dtype, long[] shape) {
    return add(node(name, "Placeholder").putAttr("dtype", type(dtype)).putAttr("shape", shape(shape)));
  }

  /** A VariableV2 with its {@code /read} Identity, as TF1 creates them; returns the read tensor. */
  String variable(String name, long[] shape) {
    String v = add(node(name, "VariableV2").putAttr("dtype", FLOAT).putAttr("shape", shape(shape))
        .putAttr("container", str("")).putAttr("shared_name", str("")));
    return add(node(v + "/read", "Identity", v).putAttr("T", FLOAT));
  }

  String constInts(String name, int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(values.length)))
        .setTensorContent(ByteString.copyFrom(b.array())).build();
    return add(node(name, "Const").putAttr("dtype", INT32).putAttr("value", AttrValue.newBuilder().setTensor(t).build()));
  }

  String constInt(String name, int value) {
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.getDefaultInstance()).addIntVal(value).build();
    return add(node(name, "Const").putAttr("dtype", INT32).putAttr("value", AttrValue.newBuilder().setTensor(t).build()));
  }

  String constFloat(String name, float value) {
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.getDefaultInstance()).addFloatVal(value).build();
    return add(node(name, "Const").putAttr("dtype", FLOAT).putAttr("value", AttrValue.newBuilder().setTensor(t).build()));
  }

  /** A [rows, 2] int32 paddings constant. */
  String constPaddings(String name, int[][] pads) {
    int[] flat = new int[pads.length * 2];
    for (int i = 0; i < pads.length; i++) {
      flat[2 * i] = pads[i][0];
      flat[2 * i + 1] = pads[i][1];
    }
    ByteBuffer b = ByteBuffer.allocate(4 * flat.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : flat) {
      b.putInt(v);
    }
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(pads.length))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(2)))
        .setTensorContent(ByteString.copyFrom(b.array())).build();
    return add(node(name, "Const").putAttr("dtype", INT32).putAttr("value", AttrValue.newBuilder().setTensor(t).build()));
  }

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static AttrValue str(String s) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(s)).build();
  }

  static AttrValue f(float v) {
    return AttrValue.newBuilder().setF(v).build();
  }

  static AttrValue b(boolean v) {
    return AttrValue.newBuilder().setB(v).build();
  }

  static AttrValue i(long v) {
    return AttrValue.newBuilder().setI(v).build();
  }

  static AttrValue ints(long... values) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (long v : values) {
      l.addI(v);
    }
    return AttrValue.newBuilder().setList(l).build();
  }

  static AttrValue ints(List<Integer> values) {
    return ints(values.stream().mapToLong(Integer::longValue).toArray());
  }

  static AttrValue shape(long[] dims) {
    return AttrValue.newBuilder().setShape(shapeProto(dims)).build();
  }

  static TensorShapeProto shapeProto(long[] dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d < 0 ? -1 : d));
    }
    return s.build();
  }
}
