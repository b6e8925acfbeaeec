package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.runtime.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A TF1 {@code tf.cond} (Switch ... Merge) as an ONNX {@code If} whose branches are subgraphs reading outer values
 * by name. Always If, never Where: only If runs just the taken branch, as TF does, so a branch whose shapes differ
 * from the other's, or that would fail on the other branch's inputs (an out-of-range gather guarded by the cond), is
 * exported faithfully. A predicate known at export time keeps only the taken branch, inline.
 */
final class CondExport {
  private CondExport() {}

  static void emit(TfToOnnx t, ControlFlowFrames.Cond cond, Set<Integer> usedOutputs) {
    OnnxGraph g = t.graph();
    Map<String, String> values = t.values();
    String merge = cond.merge().getName();
    String pred = t.value(cond.pred());
    ConstValue known = g.constants.get(pred);
    String out;
    if (known != null && known.isSmall()) {
      Tensor p = known.materialize();
      if (p.dtype() != DType.BOOL || p.size() != 1) {
        throw new UnsupportedInputException("its predicate " + cond.pred() + " is not a single bool");
      }
      boolean taken = p.bools()[0];
      out = t.emitIn(g, branchScope(t, cond, taken ? 1 : 0), List.of(cond.result()[taken ? 1 : 0])).get(0);
    } else {
      OnnxGraph.Meta pm = g.meta(pred);
      if (pm.dtype() != DType.BOOL) {
        throw new UnsupportedInputException("its predicate " + cond.pred() + " is " + pm.dtype() + ", not bool");
      }
      OnnxGraph[] branches = new OnnxGraph[2];
      String[] results = new String[2];
      for (int side = 0; side < 2; side++) {
        branches[side] = g.subgraph();
        results[side] = t.emitIn(branches[side], branchScope(t, cond, side), List.of(cond.result()[side])).get(0);
      }
      OnnxGraph.Meta f = g.meta(results[0]);
      OnnxGraph.Meta tr = g.meta(results[1]);
      boolean sequence = g.isSequence(results[0]);
      if (f.dtype() != tr.dtype() || sequence != g.isSequence(results[1])) {
        throw new UnsupportedInputException("its branches give different types (" + f.dtype() + " and "
            + tr.dtype() + ")");
      }
      out = g.fresh(merge);
      g.meta.put(out, new OnnxGraph.Meta(f.dtype(), commonShape(f.shape(), tr.shape()), sequence));
      for (int side = 0; side < 2; side++) {
        branches[side].addSubgraphOutput(results[side], merge + (side == 1 ? "/then/out" : "/else/out"),
            t.opset());
      }
      g.add("If", g.fresh("node:" + merge), List.of(pred), List.of(out))
          .attr("then_branch", branches[1]).attr("else_branch", branches[0]);
    }
    values.put(merge + ":0", out);
    if (usedOutputs.contains(1)) {
      // value_index: which Merge input arrived, i.e. the input the taken branch feeds
      int trueInput = cond.merge().getInputList().indexOf(cond.result()[1]);
      String index = g.constant(merge + "/value_index", Tensor.ofInts(new long[] {2},
          new int[] {1 - trueInput, trueInput}));
      String asIndex = g.fresh(merge + "/pred_index");
      g.meta.put(asIndex, new OnnxGraph.Meta(DType.INT64, new long[0]));
      g.add("Cast", g.fresh("node:" + asIndex), List.of(pred), List.of(asIndex)).attr("to",
          OnnxTypes.elemType(DType.INT64));
      String v = g.fresh(merge + "/value_index");
      g.meta.put(v, new OnnxGraph.Meta(DType.INT32, new long[0]));
      g.add("Gather", g.fresh("node:" + v), List.of(index, asIndex), List.of(v)).attr("axis", 0L);
      values.put(merge + ":1", v);
    }
  }

  /** The outer scope plus the branch's Switch outputs, each standing for the value its Switch forwards. */
  private static Map<String, String> branchScope(TfToOnnx t, ControlFlowFrames.Cond cond, int side) {
    Map<String, String> scope = new HashMap<>(t.values());
    for (Map.Entry<String, String> e : cond.switched().get(side).entrySet()) {
      scope.put(e.getKey(), t.value(e.getValue()));
    }
    return scope;
  }

  private static long[] commonShape(long[] a, long[] b) {
    if (a == null || b == null || a.length != b.length) {
      return null;
    }
    long[] out = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == b[i] ? a[i] : -1;
    }
    return out;
  }
}
