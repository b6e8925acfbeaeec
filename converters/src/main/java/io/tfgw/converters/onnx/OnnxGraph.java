package io.tfgw.converters.onnx;

import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX graph as it is built: nodes in execution order, constants by value name (written as initializers when
 * a node uses them), the element type and known shape of every value, and the graph's inputs and outputs.
 */
final class OnnxGraph {
  /** What is known of a value: its element type and dimensions (-1 unknown; null: unknown rank). */
  record Meta(DType dtype, long[] shape) {
    int rank() {
      return shape == null ? -1 : shape.length;
    }
  }

  /** A graph input or output: its name, type, and dimension names for dimensions without a fixed size. */
  record Port(String name, DType dtype, long[] shape, String[] dimParams) {}

  final List<OnnxNode> nodes = new ArrayList<>();
  final Map<String, ConstValue> constants = new LinkedHashMap<>();
  final Map<String, Meta> meta = new LinkedHashMap<>();
  final List<Port> inputs = new ArrayList<>();
  final List<Port> outputs = new ArrayList<>();
  /**
   * Integer vectors computed at run time of which some elements are constant (a Pack of the batch size read from
   * a Shape and fixed sizes, as Keras builds a transposed convolution's output shape); unknown elements are null.
   */
  final Map<String, Long[]> knownElements = new LinkedHashMap<>();
  private final Set<String> names = new HashSet<>();

  /** A value name not used yet, derived from {@code base}. */
  String fresh(String base) {
    String name = base;
    for (int i = 1; names.contains(name); i++) {
      name = base + "__" + i;
    }
    names.add(name);
    return name;
  }

  void reserve(String name) {
    names.add(name);
  }

  OnnxNode add(String op, String nodeName, List<String> inputs, List<String> outputs) {
    OnnxNode n = new OnnxNode(op, nodeName, inputs, outputs);
    nodes.add(n);
    return n;
  }

  String constant(String base, Tensor value) {
    String name = fresh(base);
    constants.put(name, ConstValue.of(value));
    meta.put(name, new Meta(value.dtype(), value.dims()));
    return name;
  }

  String constant(String base, ConstValue value) {
    String name = fresh(base);
    constants.put(name, value);
    meta.put(name, new Meta(value.dtype(), value.dims()));
    return name;
  }

  Meta meta(String value) {
    return meta.get(value);
  }

  /** Nodes by the values they produce. */
  Map<String, OnnxNode> producers() {
    Map<String, OnnxNode> out = new LinkedHashMap<>();
    for (OnnxNode n : nodes) {
      for (String o : n.outputs) {
        out.put(o, n);
      }
    }
    return out;
  }

  /** Nodes consuming each value (a node once per input slot it uses the value in). */
  Map<String, List<OnnxNode>> consumers() {
    Map<String, List<OnnxNode>> out = new LinkedHashMap<>();
    for (OnnxNode n : nodes) {
      for (String in : n.inputs) {
        if (!in.isEmpty()) {
          out.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
    }
    return out;
  }

  boolean isGraphOutput(String value) {
    return outputs.stream().anyMatch(p -> p.name().equals(value));
  }
}
