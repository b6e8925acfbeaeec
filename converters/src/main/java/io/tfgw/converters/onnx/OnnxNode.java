package io.tfgw.converters.onnx;

import io.tfgw.proto.onnx.AttributeProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A node of the ONNX graph being built; mutable so the optimizer can rewire it. */
final class OnnxNode {
  final String op;
  final String name;
  final List<String> inputs;
  final List<String> outputs;
  final Map<String, AttributeProto> attrs = new LinkedHashMap<>();
  /** Graph attributes (a Loop's body, an If's branches), written as GraphProtos. */
  final Map<String, OnnxGraph> graphs = new LinkedHashMap<>();

  OnnxNode(String op, String name, List<String> inputs, List<String> outputs) {
    this.op = op;
    this.name = name;
    this.inputs = new ArrayList<>(inputs);
    this.outputs = new ArrayList<>(outputs);
  }

  OnnxNode attr(String key, long v) {
    attrs.put(key, AttributeProto.newBuilder().setName(key).setType(AttributeProto.AttributeType.INT).setI(v).build());
    return this;
  }

  OnnxNode attr(String key, float v) {
    attrs.put(key, AttributeProto.newBuilder().setName(key).setType(AttributeProto.AttributeType.FLOAT).setF(v)
        .build());
    return this;
  }

  OnnxNode attr(String key, String v) {
    attrs.put(key, AttributeProto.newBuilder().setName(key).setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build());
    return this;
  }

  OnnxNode attr(String key, long[] v) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(key).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    attrs.put(key, b.build());
    return this;
  }

  OnnxNode attr(String key, int[] v) {
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = v[i];
    }
    return attr(key, l);
  }

  OnnxNode graph(String key, OnnxGraph body) {
    graphs.put(key, body);
    return this;
  }

  long intAttr(String key, long dflt) {
    AttributeProto a = attrs.get(key);
    return a == null ? dflt : a.getI();
  }

  int[] intsAttr(String key) {
    AttributeProto a = attrs.get(key);
    if (a == null) {
      return null;
    }
    int[] out = new int[a.getIntsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) a.getInts(i);
    }
    return out;
  }

  @Override
  public String toString() {
    return op + " " + name + " " + inputs + " -> " + outputs;
  }
}
