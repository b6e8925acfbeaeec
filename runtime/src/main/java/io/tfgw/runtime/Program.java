package io.tfgw.runtime;

import io.tfgw.core.CorruptInputException;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.OpDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph ready to execute: the nodes of a GraphDef, or the body of an instantiated function (with {@code _Arg}
 * nodes for its arguments and the endpoints it returns), with inputs resolved to edges.
 */
final class Program {
  final String description;
  final List<Node> nodes = new ArrayList<>();
  final Map<String, Node> byName = new HashMap<>();
  /** Functions: one {@code _Arg} node per argument, in signature order. */
  final List<Node> args = new ArrayList<>();
  /** Functions: the returned endpoints, in signature order. */
  final List<Node.Endpoint> rets = new ArrayList<>();
  /** Functions: nodes that must run although nothing returned depends on them. */
  final List<Node> controlRets = new ArrayList<>();
  /** The inner nodes of fused chains (see {@link ChainFusion}): feeding one needs the unfused program. */
  Set<String> fusedInterior = Set.of();

  private Program(String description) {
    this.description = description;
  }

  /** The program of a graph; {@code fuse}: with its MatMul/Conv2D + BiasAdd [+ activation] chains fused. */
  static Program fromGraph(GraphDef graph, FunctionLibrary library, boolean fuse) {
    Program p = new Program("graph");
    for (NodeDef n : graph.getNodeList()) {
      p.add(n.getName(), n.getOp(), n.getAttrMap());
    }
    for (int i = 0; i < graph.getNodeCount(); i++) {
      NodeDef def = graph.getNode(i);
      Node node = p.nodes.get(i);
      for (String input : def.getInputList()) {
        if (input.startsWith("^")) {
          node.controlInputs.add(p.require(input.substring(1), node));
        } else {
          node.inputs.add(p.graphEndpoint(input, node));
        }
      }
    }
    if (fuse) {
      p.fusedInterior = ChainFusion.apply(p);
    }
    p.link(library);
    return p;
  }

  /** Instantiates a function body; attribute placeholders are replaced by {@code callAttrs}. */
  static Program fromFunction(FunctionDef f, Map<String, AttrValue> callAttrs, FunctionLibrary library) {
    OpDef sig = f.getSignature();
    Program p = new Program("function '" + sig.getName() + "'");
    Map<String, Node> argsByName = new HashMap<>();
    for (int i = 0; i < sig.getInputArgCount(); i++) {
      String name = sig.getInputArg(i).getName();
      Node arg = p.add("_arg_" + name, "_Arg", Map.of("index", AttrValue.newBuilder().setI(i).build()));
      p.args.add(arg);
      argsByName.put(name, arg);
    }
    for (NodeDef n : f.getNodeDefList()) {
      Map<String, AttrValue> attrs = new LinkedHashMap<>();
      for (Map.Entry<String, AttrValue> e : n.getAttrMap().entrySet()) {
        attrs.put(e.getKey(), substitute(e.getValue(), callAttrs, f, n));
      }
      p.add(n.getName(), n.getOp(), attrs);
    }
    for (int i = 0; i < f.getNodeDefCount(); i++) {
      NodeDef def = f.getNodeDef(i);
      Node node = p.nodes.get(p.args.size() + i);
      for (String input : def.getInputList()) {
        if (input.startsWith("^")) {
          node.controlInputs.add(p.require(input.substring(1), node));
        } else {
          node.inputs.add(p.functionEndpoint(input, argsByName, library, node));
        }
      }
    }
    for (OpDef.ArgDef out : sig.getOutputArgList()) {
      String ret = f.getRetMap().get(out.getName());
      if (ret == null) {
        throw new CorruptInputException(p.description + " has no return value for output '" + out.getName() + "'");
      }
      p.rets.add(p.functionEndpoint(ret, argsByName, library, null));
    }
    for (String name : f.getControlRetMap().values()) {
      p.controlRets.add(p.require(name, null));
    }
    // a function's inner tensors are never fed (only its arguments are), so its chains are always fused
    p.fusedInterior = ChainFusion.apply(p);
    p.link(library);
    return p;
  }

  private static AttrValue substitute(AttrValue v, Map<String, AttrValue> callAttrs, FunctionDef f, NodeDef n) {
    if (v.getValueCase() != AttrValue.ValueCase.PLACEHOLDER) {
      return v;
    }
    AttrValue bound = callAttrs.get(v.getPlaceholder());
    if (bound == null) {
      throw new io.tfgw.core.UnsupportedInputException("Function '" + f.getSignature().getName() + "', node '"
          + n.getName() + "': attribute placeholder '" + v.getPlaceholder() + "' is not bound by the call");
    }
    return bound;
  }

  private Node add(String name, String op, Map<String, AttrValue> attrs) {
    Node n = new Node(nodes.size(), name, op, attrs);
    if (byName.put(name, n) != null) {
      throw new CorruptInputException(description + " has two nodes named '" + name + "'");
    }
    nodes.add(n);
    return n;
  }

  private Node require(String name, Node consumer) {
    Node n = byName.get(name);
    if (n == null) {
      throw new CorruptInputException(description + ": " + (consumer == null ? "a return value" : "node '"
          + consumer.name + "'") + " refers to node '" + name + "', which does not exist");
    }
    return n;
  }

  private Node.Endpoint graphEndpoint(String input, Node consumer) {
    int colon = input.lastIndexOf(':');
    if (colon > 0) {
      String idx = input.substring(colon + 1);
      if (!idx.isEmpty() && idx.chars().allMatch(Character::isDigit)) {
        return new Node.Endpoint(require(input.substring(0, colon), consumer), Integer.parseInt(idx));
      }
    }
    return new Node.Endpoint(require(input, consumer), 0);
  }

  private Node.Endpoint functionEndpoint(String input, Map<String, Node> argsByName, FunctionLibrary library,
      Node consumer) {
    String[] parts = input.split(":");
    if (parts.length == 1 || (parts.length == 2 && argsByName.containsKey(parts[0]))) {
      Node arg = argsByName.get(parts[0]);
      if (arg != null) {
        return new Node.Endpoint(arg, 0);
      }
      return new Node.Endpoint(require(parts[0], consumer), 0);
    }
    Node src = require(parts[0], consumer);
    int index = parts.length >= 3 ? Integer.parseInt(parts[2]) : 0;
    int offset;
    if (library != null && library.contains(src.op)) {
      offset = library.outputArgOffset(src.op, parts[1]);
    } else {
      offset = OpRegistry.outputArgOffset(src.op, parts[1]);
    }
    if (offset < 0) {
      throw new CorruptInputException(description + ": input '" + input + "' names output '" + parts[1]
          + "', which op " + src.op + " does not have");
    }
    return new Node.Endpoint(src, offset + index);
  }

  /** Computes out edges, loop back edges and kernels. */
  private void link(FunctionLibrary library) {
    for (Node n : nodes) {
      for (int i = 0; i < n.inputs.size(); i++) {
        Node.Endpoint e = n.inputs.get(i);
        e.node().outEdges.add(new Node.Edge(e.index(), n, i));
        if (n.isMerge() && e.node().isNextIteration()) {
          n.backEdges++;
        }
      }
      for (Node c : n.controlInputs) {
        c.outEdges.add(new Node.Edge(-1, n, -1));
      }
      n.kernel = n.fusedKernel != null ? n.fusedKernel : OpRegistry.kernel(n.op);
    }
  }

  /** The endpoint a tensor name ({@code op}, {@code op:1}) names. */
  Node.Endpoint endpoint(String tensorName) {
    int colon = tensorName.lastIndexOf(':');
    String nodeName = tensorName;
    int index = 0;
    if (colon > 0 && tensorName.substring(colon + 1).chars().allMatch(Character::isDigit)
        && colon < tensorName.length() - 1) {
      nodeName = tensorName.substring(0, colon);
      index = Integer.parseInt(tensorName.substring(colon + 1));
    }
    Node n = byName.get(nodeName);
    if (n == null) {
      throw new io.tfgw.core.WrongInputException("The graph has no node named '" + nodeName + "' (from tensor name '"
          + tensorName + "')" + suggest(nodeName));
    }
    return new Node.Endpoint(n, index);
  }

  Node node(String name) {
    Node n = byName.get(name);
    if (n == null) {
      throw new io.tfgw.core.WrongInputException("The graph has no node named '" + name + "'" + suggest(name));
    }
    return n;
  }

  private String suggest(String name) {
    List<String> similar = new ArrayList<>();
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    for (Node n : nodes) {
      String cand = n.name.toLowerCase(java.util.Locale.ROOT);
      if ((cand.contains(lower) || lower.contains(cand)) && !n.op.equals("Const") && similar.size() < 5) {
        similar.add(n.name);
      }
    }
    return similar.isEmpty() ? "" : "; similar nodes: " + String.join(", ", similar);
  }
}
