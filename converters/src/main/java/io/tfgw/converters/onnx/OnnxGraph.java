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
  /**
   * What is known of a value: its element type and dimensions (-1 unknown; null: unknown rank). A sequence (a TF
   * TensorList as an ONNX sequence) has its elements' type and shape.
   */
  record Meta(DType dtype, long[] shape, boolean sequence) {
    Meta(DType dtype, long[] shape) {
      this(dtype, shape, false);
    }

    int rank() {
      return shape == null ? -1 : shape.length;
    }
  }

  /** A graph input or output: its name, type, and dimension names for dimensions without a fixed size. */
  record Port(String name, DType dtype, long[] shape, String[] dimParams) {}

  final List<OnnxNode> nodes = new ArrayList<>();
  final Map<String, ConstValue> constants;
  final Map<String, Meta> meta;
  final List<Port> inputs = new ArrayList<>();
  final List<Port> outputs = new ArrayList<>();
  /**
   * Integer vectors computed at run time of which some elements are constant (a Pack of the batch size read from
   * a Shape and fixed sizes, as Keras builds a transposed convolution's output shape); unknown elements are null.
   */
  final Map<String, Long[]> knownElements;
  private final Set<String> names;

  OnnxGraph() {
    this(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new HashSet<>());
  }

  private OnnxGraph(Map<String, ConstValue> constants, Map<String, Meta> meta, Map<String, Long[]> knownElements,
      Set<String> names) {
    this.constants = constants;
    this.meta = meta;
    this.knownElements = knownElements;
    this.names = names;
  }

  /**
   * A graph nested in this one (a Loop body, an If branch): nodes, inputs and outputs of its own, but names,
   * constants and value facts shared with every scope, because ONNX wants names unique across scopes and an
   * outer value (the top graph's initializers among them) is visible inside; constants are so written once, as
   * initializers of the top graph.
   */
  OnnxGraph subgraph() {
    return new OnnxGraph(constants, meta, knownElements, names);
  }

  /** The nodes of this graph and of every graph nested in them. */
  List<OnnxNode> allNodes() {
    List<OnnxNode> out = new ArrayList<>();
    for (OnnxNode n : nodes) {
      out.add(n);
      for (OnnxGraph sub : n.subgraphs.values()) {
        out.addAll(sub.allNodes());
      }
    }
    return out;
  }

  /** Values a nested graph reads from the scopes around it. */
  Set<String> outerReads() {
    Set<String> defined = new HashSet<>();
    List<OnnxNode> all = allNodes();
    collectDefined(this, defined);
    Set<String> reads = new java.util.LinkedHashSet<>();
    for (OnnxNode n : all) {
      for (String in : n.inputs) {
        if (!in.isEmpty() && !defined.contains(in)) {
          reads.add(in);
        }
      }
    }
    return reads;
  }

  private static void collectDefined(OnnxGraph g, Set<String> defined) {
    g.inputs.forEach(p -> defined.add(p.name()));
    for (OnnxNode n : g.nodes) {
      defined.addAll(n.outputs);
      n.subgraphs.values().forEach(sub -> collectDefined(sub, defined));
    }
  }

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

  /**
   * Nodes consuming each value (a node once per input slot it uses the value in; a Loop or If also once per value
   * its subgraphs read from this scope).
   */
  Map<String, List<OnnxNode>> consumers() {
    Map<String, List<OnnxNode>> out = new LinkedHashMap<>();
    for (OnnxNode n : nodes) {
      for (String in : n.inputs) {
        if (!in.isEmpty()) {
          out.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
      for (OnnxGraph sub : n.subgraphs.values()) {
        for (String in : sub.outerReads()) {
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
