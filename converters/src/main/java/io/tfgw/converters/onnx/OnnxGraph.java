package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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

  /** Values a nested graph reads (its nodes, its nested graphs, its outputs) from the scopes around it. */
  Set<String> outerReads() {
    Set<String> defined = new HashSet<>();
    collectDefined(this, defined);
    Set<String> reads = namesRead();
    reads.removeAll(defined);
    return reads;
  }

  private static void collectDefined(OnnxGraph g, Set<String> defined) {
    g.inputs.forEach(p -> defined.add(p.name()));
    for (OnnxNode n : g.nodes) {
      defined.addAll(n.outputs);
      n.subgraphs.values().forEach(sub -> collectDefined(sub, defined));
    }
  }

  /** Whether a value is an ONNX sequence of tensors (a TF TensorArray or TensorList), not a tensor. */
  boolean isSequence(String value) {
    Meta m = meta.get(value);
    return m != null && m.sequence();
  }

  /** Records that {@code value}, whose meta is already known, is a sequence of tensors of that type and shape. */
  void markSequence(String value) {
    Meta m = meta.get(value);
    meta.put(value, new Meta(m.dtype(), m.shape(), true));
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

  /**
   * Adds an output to this subgraph (a Loop body, an If branch). Each is its own Identity, as a subgraph may not give
   * an outer value, or one value twice, as outputs; Identity takes sequences from opset 14 on, so before that a
   * sequence made in this subgraph is given as it is, and one passed through unchanged is refused.
   */
  void addSubgraphOutput(String value, String name, int opset) {
    Meta m = meta(value);
    boolean sequence = m.sequence();
    if (sequence && opset < 14) {
      boolean madeHere = nodes.stream().anyMatch(n -> n.outputs.contains(value));
      boolean given = outputs.stream().anyMatch(p -> p.name().equals(value));
      if (!madeHere || given) {
        throw new UnsupportedInputException("a loop body or cond branch gives a TensorArray it does not change ("
            + name + "), which ONNX expresses from opset 14 on (Identity of a sequence); export with --opset 14 or "
            + "later");
      }
      outputs.add(new Port(value, m.dtype(), null, null));
      return;
    }
    String out = fresh(name);
    meta.put(out, m);
    add("Identity", fresh("node:" + out), List.of(value), List.of(out));
    outputs.add(new Port(out, m.dtype(), null, null));
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
   * Nodes consuming each value (a node once per input slot it uses the value in). A value a subgraph reads from this
   * scope counts as consumed by the node that owns the subgraph, so rewrites never lose or bypass such a use.
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

  /** Every value name this graph's nodes (and their subgraphs, and its outputs) read. */
  Set<String> namesRead() {
    Set<String> out = new LinkedHashSet<>();
    for (OnnxNode n : nodes) {
      for (String in : n.inputs) {
        if (!in.isEmpty()) {
          out.add(in);
        }
      }
      for (OnnxGraph sub : n.subgraphs.values()) {
        out.addAll(sub.namesRead());
      }
    }
    for (Port p : outputs) {
      out.add(p.name());
    }
    return out;
  }

  /** Replaces every read of {@code from} with {@code to}, in subgraphs too. */
  void replaceUses(String from, String to) {
    for (OnnxNode n : nodes) {
      n.inputs.replaceAll(v -> v.equals(from) ? to : v);
      for (OnnxGraph sub : n.subgraphs.values()) {
        sub.replaceUses(from, to);
      }
    }
  }

  boolean isGraphOutput(String value) {
    return outputs.stream().anyMatch(p -> p.name().equals(value));
  }
}
