package io.tfgw.runtime;

import com.google.protobuf.ByteString;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;

/** Builds small GraphDefs by hand for runtime tests that need no TensorFlow. */
public final class GraphBuilder {
  private final GraphDef.Builder graph = GraphDef.newBuilder();

  public GraphBuilder placeholder(String name, DType dtype) {
    return node(name, "Placeholder", new String[0], "dtype", type(dtype));
  }

  public GraphBuilder constant(String name, Tensor value) {
    return node(name, "Const", new String[0], "dtype", type(value.dtype()), "value", AttrValue.newBuilder()
        .setTensor(TensorProtos.withTensorContent(value.dtype(), value.shape(), value.canonicalBytes())).build());
  }

  /** A node; attrs alternate names and values (AttrValue, String, Long, Boolean, DType). */
  public GraphBuilder node(String name, String op, String[] inputs, Object... attrs) {
    NodeDef.Builder n = NodeDef.newBuilder().setName(name).setOp(op);
    for (String in : inputs) {
      n.addInput(in);
    }
    for (int i = 0; i < attrs.length; i += 2) {
      n.putAttr((String) attrs[i], attr(attrs[i + 1]));
    }
    graph.addNode(n);
    return this;
  }

  public GraphBuilder op(String name, String op, String... inputs) {
    return node(name, op, inputs);
  }

  public static AttrValue type(DType t) {
    return AttrValue.newBuilder().setType(DataType.forNumber(t.number())).build();
  }

  static AttrValue attr(Object v) {
    if (v instanceof AttrValue a) {
      return a;
    }
    if (v instanceof String s) {
      return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(s)).build();
    }
    if (v instanceof Long l) {
      return AttrValue.newBuilder().setI(l).build();
    }
    if (v instanceof Integer l) {
      return AttrValue.newBuilder().setI(l).build();
    }
    if (v instanceof Boolean b) {
      return AttrValue.newBuilder().setB(b).build();
    }
    if (v instanceof Float f) {
      return AttrValue.newBuilder().setF(f).build();
    }
    if (v instanceof DType t) {
      return type(t);
    }
    if (v instanceof long[] list) {
      AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
      for (long x : list) {
        l.addI(x);
      }
      return AttrValue.newBuilder().setList(l).build();
    }
    throw new IllegalArgumentException("attr " + v);
  }

  public GraphDef build() {
    return graph.build();
  }
}
