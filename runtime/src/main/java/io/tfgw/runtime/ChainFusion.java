package io.tfgw.runtime;

import io.tfgw.proto.AttrValue;
import io.tfgw.runtime.kernels.Epilogue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The graph rewrite that fuses MatMul/Conv2D → BiasAdd [→ Relu/Relu6/Elu/Tanh/Sigmoid] into the chain's last node,
 * as TF's grappler does (_FusedMatMul, _FusedConv2D): that node takes the producer's inputs and the bias and runs
 * {@link FusedKernel}, which writes the bias and activation into the product while it is in cache instead of two
 * more passes over fresh tensors. Run on a program before its edges are linked.
 *
 * <p>Semantics do not change. A chain is fused only where nothing else sees its inner values: the producer and the
 * BiasAdd (when an activation follows) each have exactly one consumer, the next op of the chain, no control edges out
 * and are not returned by a function. The inner nodes stay in the program with their own inputs, so fetching one
 * computes it; feeding one needs the unfused program ({@link #interior}), which the session keeps for such runs.
 * Float only, NHWC only (checked again on the values at run time, where anything else runs op by op).
 */
final class ChainFusion {
  private ChainFusion() {}

  /** Fuses the chains of {@code p}; returns the inner nodes (producers, and BiasAdds followed by an activation). */
  static Set<String> apply(Program p) {
    int[] dataConsumers = new int[p.nodes.size()];
    boolean[] otherUse = new boolean[p.nodes.size()];
    Node[] onlyConsumer = new Node[p.nodes.size()];
    for (Node n : p.nodes) {
      for (int i = 0; i < n.inputs.size(); i++) {
        Node.Endpoint e = n.inputs.get(i);
        int src = e.node().id;
        dataConsumers[src]++;
        onlyConsumer[src] = n;
        // only output 0 into input 0 continues a chain
        if (e.index() != 0 || i != 0) {
          otherUse[src] = true;
        }
      }
      for (Node c : n.controlInputs) {
        otherUse[c.id] = true;
      }
    }
    for (Node.Endpoint e : p.rets) {
      otherUse[e.node().id] = true;
    }
    for (Node n : p.controlRets) {
      otherUse[n.id] = true;
    }
    Set<String> interior = new HashSet<>();
    for (Node producer : new ArrayList<>(p.nodes)) {
      if (!isProducer(producer) || !inner(producer, dataConsumers, otherUse)) {
        continue;
      }
      Node biasAdd = onlyConsumer[producer.id];
      if (!isBiasAdd(biasAdd)) {
        continue;
      }
      Node activation = null;
      if (inner(biasAdd, dataConsumers, otherUse)) {
        Node next = onlyConsumer[biasAdd.id];
        if (Epilogue.ACTIVATIONS.contains(next.op) && isFloat(next)) {
          activation = next;
        }
      }
      Node last = activation != null ? activation : biasAdd;
      List<Node.Endpoint> inputs = List.of(producer.inputs.get(0), producer.inputs.get(1), biasAdd.inputs.get(1));
      Set<Node> controls = new java.util.LinkedHashSet<>(last.controlInputs);
      controls.addAll(producer.controlInputs);
      controls.addAll(biasAdd.controlInputs);
      last.inputs.clear();
      last.inputs.addAll(inputs);
      last.controlInputs.clear();
      last.controlInputs.addAll(controls);
      last.fusedKernel = new FusedKernel(producer, biasAdd, activation);
      interior.add(producer.name);
      if (activation != null) {
        interior.add(biasAdd.name);
      }
    }
    return interior;
  }

  /** Exactly one consumer, through output 0 into its input 0, and nothing else sees the node. */
  private static boolean inner(Node n, int[] dataConsumers, boolean[] otherUse) {
    return dataConsumers[n.id] == 1 && !otherUse[n.id];
  }

  private static boolean isProducer(Node n) {
    if (n.inputs.size() != 2 || !isFloat(n)) {
      return false;
    }
    return n.op.equals("MatMul") || (n.op.equals("Conv2D") && nhwc(n));
  }

  private static boolean isBiasAdd(Node n) {
    return (n.op.equals("BiasAdd") || n.op.equals("BiasAddV1")) && n.inputs.size() == 2 && isFloat(n) && nhwc(n);
  }

  private static boolean isFloat(Node n) {
    AttrValue t = n.attrs.get("T");
    return t != null && t.getType() == io.tfgw.proto.DataType.DT_FLOAT;
  }

  private static boolean nhwc(Node n) {
    AttrValue f = n.attrs.get("data_format");
    return f == null || f.getS().toStringUtf8().equals("NHWC");
  }
}
