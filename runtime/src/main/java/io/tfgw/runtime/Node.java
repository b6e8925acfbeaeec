package io.tfgw.runtime;

import io.tfgw.proto.AttrValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A node of a {@link Program}: op, attributes and resolved input edges. */
final class Node {
  /** One output of a node. */
  record Endpoint(Node node, int index) {
    @Override
    public String toString() {
      return node.name + ":" + index;
    }
  }

  /** An edge to a consumer: {@code srcSlot} output of this node to input {@code dstSlot} of dst (-1: control). */
  record Edge(int srcSlot, Node dst, int dstSlot) {}

  final int id;
  final String name;
  final String op;
  final Map<String, AttrValue> attrs;
  final List<Endpoint> inputs = new ArrayList<>();
  final List<Node> controlInputs = new ArrayList<>();
  final List<Edge> outEdges = new ArrayList<>();
  /** The kernel; null for executor-handled ops and calls of library functions. */
  OpKernel kernel;
  /** Merge nodes: how many data inputs come from NextIteration (loop back edges). */
  int backEdges;
  /** The last node of a fused chain: the kernel that runs the whole chain ({@link ChainFusion}); null otherwise. */
  OpKernel fusedKernel;
  /**
   * Under which node the session keeps this node's kernel state and cached constant: itself, or in the unfused copy
   * of a graph the fused program's node of the same name.
   */
  Node stateKey = this;

  Node(int id, String name, String op, Map<String, AttrValue> attrs) {
    this.id = id;
    this.name = name;
    this.op = op;
    this.attrs = attrs;
  }

  boolean isMerge() {
    return op.equals("Merge") || op.equals("RefMerge");
  }

  boolean isEnter() {
    return op.equals("Enter") || op.equals("RefEnter");
  }

  boolean isExit() {
    return op.equals("Exit") || op.equals("RefExit");
  }

  boolean isNextIteration() {
    return op.equals("NextIteration") || op.equals("RefNextIteration");
  }

  @Override
  public String toString() {
    return name + " (" + op + ")";
  }
}
