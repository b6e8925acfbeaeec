package io.tfgw.converters.onnx;

import io.tfgw.converters.graph.TensorRef;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.NodeDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A TF1 while loop as an ONNX {@code Loop}. The carried values are the Merge/NextIteration pairs; the invariants
 * (constant Enters) are read by the body from the outer scope by name. TF evaluates the condition on the Merge
 * values before every iteration, so it is emitted twice: once before the Loop on the entry values (the Loop's
 * first {@code cond}), and at the end of the body on the NextIteration values (the body's {@code cond_out}). The
 * Loop's outputs are the values the Exits give: the Merge values when the condition first fails.
 */
final class LoopExport {
  private LoopExport() {}

  static void emit(TfToOnnx t, ControlFlowFrames.Loop loop) {
    OnnxGraph g = t.graph();
    Map<String, String> values = t.values();
    String frame = loop.frame().replaceAll("/+$", "");
    List<String> initial = new ArrayList<>();
    for (ControlFlowFrames.LoopVar v : loop.vars()) {
      initial.add(t.value(v.enter().getInput(0)));
    }
    Map<String, String> invariants = new HashMap<>();
    for (NodeDef e : loop.invariants()) {
      invariants.put(e.getName() + ":0", t.value(e.getInput(0)));
    }
    String condTensor = TensorRef.parse(loop.loopCond().getInput(0)).tensorName();

    Map<String, String> first = new HashMap<>(values);
    first.putAll(invariants);
    for (int i = 0; i < initial.size(); i++) {
      first.put(loop.vars().get(i).merge().getName() + ":0", initial.get(i));
    }
    String cond = t.emitIn(g, first, List.of(condTensor)).get(0); // LoopCond takes a scalar bool, as Loop does

    OnnxGraph body = g.subgraph();
    String iteration = body.fresh(frame + "/iteration");
    String condIn = body.fresh(frame + "/cond_in");
    body.meta.put(iteration, new OnnxGraph.Meta(DType.INT64, new long[0]));
    body.meta.put(condIn, new OnnxGraph.Meta(DType.BOOL, new long[0]));
    body.inputs.add(new OnnxGraph.Port(iteration, DType.INT64, new long[0], null));
    body.inputs.add(new OnnxGraph.Port(condIn, DType.BOOL, new long[0], null));
    Map<String, String> inBody = new HashMap<>(values);
    inBody.putAll(invariants);
    List<String> carried = new ArrayList<>();
    for (int i = 0; i < initial.size(); i++) {
      ControlFlowFrames.LoopVar v = loop.vars().get(i);
      String in = body.fresh(v.merge().getName());
      OnnxGraph.Meta m = g.meta(initial.get(i));
      boolean sequence = g.isSequence(initial.get(i));
      // a sequence's meta shape is its elements' shape, which TF keeps fixed; a tensor keeps its rank (TF's shape
      // invariant), but its dimensions may change between iterations unless TF recorded them on the Merge
      body.meta.put(in, new OnnxGraph.Meta(m.dtype(), sequence ? m.shape() : carriedShape(v.merge(), m.shape()),
          sequence));
      body.inputs.add(new OnnxGraph.Port(in, m.dtype(), sequence ? null : body.meta(in).shape(), null));
      carried.add(in);
      inBody.put(v.merge().getName() + ":0", in);
      inBody.put(v.sw().getName() + ":1", in);
    }
    List<String> nextTensors = loop.vars().stream().map(v -> TensorRef.parse(v.nextIteration().getInput(0))
        .tensorName()).toList();
    List<String> next = t.emitIn(body, inBody, nextTensors);

    Map<String, String> after = new HashMap<>(values);
    after.putAll(invariants);
    for (int i = 0; i < next.size(); i++) {
      after.put(loop.vars().get(i).merge().getName() + ":0", next.get(i));
    }
    String condOut = t.emitIn(body, after, List.of(condTensor)).get(0);
    body.addSubgraphOutput(condOut, frame + "/cond_out/out", t.opset());
    for (int i = 0; i < next.size(); i++) {
      if (g.isSequence(initial.get(i)) != g.isSequence(next.get(i))) {
        throw new UnsupportedInputException("loop variable '" + loop.vars().get(i).merge().getName() + "' of frame '"
            + loop.frame() + "' enters as a " + (g.isSequence(initial.get(i)) ? "TensorArray" : "tensor")
            + " but its NextIteration gives a " + (g.isSequence(next.get(i)) ? "TensorArray" : "tensor"));
      }
      body.addSubgraphOutput(next.get(i), loop.vars().get(i).nextIteration().getName() + "/out", t.opset());
    }

    List<String> loopIns = new ArrayList<>();
    loopIns.add(""); // no trip count: TF's condition alone ends the loop
    loopIns.add(cond);
    loopIns.addAll(initial);
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < initial.size(); i++) {
      ControlFlowFrames.LoopVar v = loop.vars().get(i);
      String out = g.fresh(v.exits().isEmpty() ? frame + "/final_" + i : v.exits().get(0).getName());
      OnnxGraph.Meta m = g.meta(initial.get(i));
      boolean sequence = g.isSequence(initial.get(i));
      // TF's shape invariant gives the entry value and every NextIteration value one rank, so when only the body's
      // result has a known rank, that is the rank of what the loop gives
      long[] shape = sequence ? (m.shape() != null ? m.shape() : g.meta(next.get(i)).shape()) : body.meta(
          carried.get(i)).shape();
      if (shape == null && !sequence) {
        shape = carriedShape(v.merge(), g.meta(next.get(i)).shape());
      }
      g.meta.put(out, new OnnxGraph.Meta(m.dtype(), shape, sequence));
      outs.add(out);
      for (NodeDef exit : v.exits()) {
        values.put(exit.getName() + ":0", out);
      }
    }
    g.add("Loop", g.fresh("node:" + frame), loopIns, outs).attr("body", body);
  }

  /** The carried value's shape in the body: TF's recorded Merge shape, else the entry rank with free dimensions. */
  static long[] carriedShape(NodeDef merge, long[] entry) {
    AttrValue a = merge.getAttrMap().get("_output_shapes");
    if (a != null && a.getList().getShapeCount() > 0) {
      if (a.getList().getShape(0).getUnknownRank()) {
        return null; // a shape invariant that lets even the rank change
      }
      return a.getList().getShape(0).getDimList().stream().mapToLong(d -> d.getSize() < 0 ? -1 : d.getSize())
          .toArray();
    }
    if (entry == null) {
      return null;
    }
    long[] free = new long[entry.length];
    java.util.Arrays.fill(free, -1);
    return free;
  }
}
