package io.tfgw.converters.graph;

import io.tfgw.core.WrongInputException;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A GraphDef's nodes by name, with the walks graph conversions need. */
public final class GraphIndex {
  private final GraphDef graph;
  private final Map<String, NodeDef> nodes = new LinkedHashMap<>();

  public GraphIndex(GraphDef graph) {
    this.graph = graph;
    for (NodeDef n : graph.getNodeList()) {
      nodes.put(n.getName(), n);
    }
  }

  public GraphDef graph() {
    return graph;
  }

  public NodeDef node(String name) {
    return nodes.get(name);
  }

  public boolean has(String name) {
    return nodes.containsKey(name);
  }

  public NodeDef require(String name, String what) {
    NodeDef n = nodes.get(name);
    if (n == null) {
      throw new WrongInputException("The graph has no node '" + name + "' (" + what + ")" + suggest(name));
    }
    return n;
  }

  private String suggest(String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    List<String> close = nodes.keySet().stream()
        .filter(n -> n.toLowerCase(java.util.Locale.ROOT).contains(lower) || lower.contains(n.toLowerCase(java.util.Locale.ROOT)))
        .limit(5).toList();
    return close.isEmpty() ? "" : "; similar nodes: " + String.join(", ", close);
  }

  /**
   * Every node the given nodes need, following data and control inputs (TF's {@code extract_sub_graph}), in the
   * graph's original order.
   */
  public Set<String> needed(Iterable<String> roots) {
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    roots.forEach(todo::add);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!seen.add(name)) {
        continue;
      }
      NodeDef n = require(name, "needed by the outputs");
      for (String in : n.getInputList()) {
        todo.push(TensorRef.parse(in).node());
      }
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (String name : nodes.keySet()) {
      if (seen.contains(name)) {
        ordered.add(name);
      }
    }
    return ordered;
  }

  /** Follows Identity/Snapshot/StopGradient chains back to the node producing the value. */
  public TensorRef throughIdentities(TensorRef ref) {
    TensorRef r = ref;
    for (int guard = 0; guard < 1000; guard++) {
      NodeDef n = nodes.get(r.node());
      if (n == null || !(n.getOp().equals("Identity") || n.getOp().equals("Snapshot"))) {
        return r;
      }
      r = TensorRef.parse(n.getInput(0));
    }
    return r;
  }
}
