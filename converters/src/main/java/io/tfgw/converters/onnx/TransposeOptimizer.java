package io.tfgw.converters.onnx;

import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Removes the layout transposes the NHWC mappings put around every convolution, pooling and normalisation: a
 * Transpose is pushed down through ops that do not care about the layout (elementwise math with per-channel
 * constants, reductions, concatenation) until it meets its inverse, and the two cancel. Left are transposes at the
 * model's edges and where a layout-sensitive op (Reshape, a flattening MatMul) needs TF's order.
 *
 * <p>Only the main graph is rewritten. A Loop body or If branch reads outer values by name; {@link
 * OnnxGraph#consumers()} counts such a read as a use by the Loop/If node, which is no op a transpose moves through,
 * so nothing is pushed into, out of or across a subgraph, and cancelled pairs are rewired inside subgraphs too.
 */
final class TransposeOptimizer {
  private static final Set<String> UNARY = Set.of("Relu", "Sigmoid", "Tanh", "Exp", "Log", "Neg", "Abs", "Sqrt",
      "Reciprocal", "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Erf", "Floor", "Ceil", "Round", "Sign",
      "Cast", "Identity", "Not", "IsNaN", "IsInf", "Sin", "Cos", "Clip");
  private static final Set<String> BROADCASTING = Set.of("Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Equal",
      "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "Sum", "Mod", "PRelu");
  private static final Set<String> REDUCE = Set.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
      "ReduceProd");

  private final OnnxGraph g;
  private int removed;

  private TransposeOptimizer(OnnxGraph g) {
    this.g = g;
  }

  /** Optimizes in place; returns how many Transpose nodes went away. */
  static int optimize(OnnxGraph g) {
    int before = count(g);
    TransposeOptimizer o = new TransposeOptimizer(g);
    boolean changed = true;
    for (int round = 0; changed && round < 10_000; round++) {
      changed = o.step();
      o.removeDead();
    }
    return before - count(g);
  }

  private static int count(OnnxGraph g) {
    return (int) g.nodes.stream().filter(n -> n.op.equals("Transpose")).count();
  }

  private boolean step() {
    Map<String, OnnxNode> producers = g.producers();
    Map<String, List<OnnxNode>> consumers = g.consumers();
    for (OnnxNode t : new ArrayList<>(g.nodes)) {
      if (!t.op.equals("Transpose") || !g.nodes.contains(t)) {
        continue;
      }
      int[] p = t.intsAttr("perm");
      String x = t.inputs.get(0);
      String y = t.outputs.get(0);
      OnnxNode up = producers.get(x);
      if (up != null && up.op.equals("Transpose")) {
        int[] q = up.intsAttr("perm");
        int[] r = new int[p.length];
        for (int i = 0; i < p.length; i++) {
          r[i] = q[p[i]];
        }
        t.inputs.set(0, up.inputs.get(0));
        t.attr("perm", r);
        if (isIdentity(r) && !g.isGraphOutput(y)) {
          replaceUses(y, up.inputs.get(0));
          g.nodes.remove(t);
        }
        return true;
      }
      List<OnnxNode> users = consumers.getOrDefault(y, List.of());
      if (users.size() != 1 || g.isGraphOutput(y)) {
        continue;
      }
      OnnxNode c = users.get(0);
      if (c.outputs.size() != 1 || g.isGraphOutput(c.outputs.get(0))) {
        continue;
      }
      if (UNARY.contains(c.op) && c.inputs.get(0).equals(y) && c.inputs.subList(1, c.inputs.size()).stream()
          .noneMatch(y::equals)) {
        pushBelow(t, c, p);
        return true;
      }
      if (BROADCASTING.contains(c.op) && pushThroughBroadcast(t, c, p, producers, consumers)) {
        return true;
      }
      if (REDUCE.contains(c.op) && c.inputs.get(0).equals(y) && pushThroughReduce(t, c, p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isIdentity(int[] p) {
    for (int i = 0; i < p.length; i++) {
      if (p[i] != i) {
        return false;
      }
    }
    return true;
  }

  private static int[] inverse(int[] p) {
    int[] inv = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      inv[p[i]] = i;
    }
    return inv;
  }

  private void replaceUses(String from, String to) {
    g.replaceUses(from, to);
  }

  /** c(T(x)) becomes T(c(x)): c reads x and a new Transpose after it produces c's old output. */
  private void pushBelow(OnnxNode t, OnnxNode c, int[] p) {
    String x = t.inputs.get(0);
    String y = t.outputs.get(0);
    c.inputs.replaceAll(v -> v.equals(y) ? x : v);
    String z = c.outputs.get(0);
    OnnxGraph.Meta zm = g.meta(z);
    String inner = g.fresh(z + "/untransposed");
    long[] innerShape = zm == null || zm.shape() == null ? null : MapContext.permuted(zm.shape(), inverse(p));
    g.meta.put(inner, new OnnxGraph.Meta(zm == null ? null : zm.dtype(), innerShape));
    c.outputs.set(0, inner);
    OnnxNode moved = new OnnxNode("Transpose", g.fresh(t.name), List.of(inner), List.of(z)).attr("perm", p);
    g.nodes.add(g.nodes.indexOf(c) + 1, moved);
    g.nodes.remove(t);
  }

  private boolean pushThroughBroadcast(OnnxNode t, OnnxNode c, int[] p, Map<String, OnnxNode> producers,
      Map<String, List<OnnxNode>> consumers) {
    String y = t.outputs.get(0);
    int rank = p.length;
    List<String> replaced = new ArrayList<>();
    for (String in : c.inputs) {
      if (in.equals(y)) {
        replaced.add(t.inputs.get(0));
        continue;
      }
      ConstValue cv = g.constants.get(in);
      if (cv != null && cv.dtype() != DType.STRING && cv.dims().length <= rank && (cv.isSmall())) {
        long[] full = new long[rank];
        long[] d = cv.dims();
        Arrays.fill(full, 1);
        System.arraycopy(d, 0, full, rank - d.length, d.length);
        ConstValue moved = d.length == 0 ? cv : cv.reshaped(full).transposed(inverse(p));
        replaced.add(d.length == 0 ? in : g.constant(in + "/relayout", moved));
        continue;
      }
      OnnxNode up = producers.get(in);
      if (up != null && up.op.equals("Transpose") && Arrays.equals(up.intsAttr("perm"), p)) {
        replaced.add(up.inputs.get(0)); // the same layout change: read under it (up stays while others use it)
        continue;
      }
      return false;
    }
    c.inputs.clear();
    c.inputs.addAll(replaced);
    String z = c.outputs.get(0);
    OnnxGraph.Meta zm = g.meta(z);
    String inner = g.fresh(z + "/untransposed");
    long[] innerShape = zm == null || zm.shape() == null || zm.shape().length != rank ? null
        : MapContext.permuted(zm.shape(), inverse(p));
    g.meta.put(inner, new OnnxGraph.Meta(zm == null ? null : zm.dtype(), innerShape));
    c.outputs.set(0, inner);
    OnnxNode moved = new OnnxNode("Transpose", g.fresh(t.name), List.of(inner), List.of(z)).attr("perm", p);
    g.nodes.add(g.nodes.indexOf(c) + 1, moved);
    g.nodes.remove(t);
    return true;
  }

  /** Reduce(T_p(x), A) = T_p'(Reduce(x, p[A])), where p' is what is left of p (often the identity). */
  private boolean pushThroughReduce(OnnxNode t, OnnxNode c, int[] p) {
    int rank = p.length;
    long[] axes;
    boolean axesInput = c.inputs.size() > 1;
    if (axesInput) {
      ConstValue cv = g.constants.get(c.inputs.get(1));
      if (cv == null) {
        return false;
      }
      axes = cv.materialize().toLongs();
    } else {
      int[] a = c.intsAttr("axes");
      if (a == null) {
        return false;
      }
      axes = Arrays.stream(a).asLongStream().toArray();
    }
    boolean keep = c.intAttr("keepdims", 1) != 0;
    Set<Integer> reduced = new HashSet<>();
    long[] mapped = new long[axes.length];
    for (int i = 0; i < axes.length; i++) {
      int a = Shapes.normAxis(axes[i], rank);
      reduced.add(a);
      mapped[i] = p[a];
    }
    Arrays.sort(mapped);
    int[] rest;
    if (keep) {
      rest = p;
    } else {
      List<Integer> keptX = new ArrayList<>();
      for (int d = 0; d < rank; d++) {
        final int dd = d;
        if (Arrays.stream(mapped).noneMatch(m -> m == dd)) {
          keptX.add(d);
        }
      }
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < rank; i++) {
        if (!reduced.contains(i)) {
          order.add(keptX.indexOf(p[i]));
        }
      }
      rest = order.stream().mapToInt(Integer::intValue).toArray();
    }
    String y = t.outputs.get(0);
    c.inputs.set(0, t.inputs.get(0));
    if (axesInput) {
      c.inputs.set(1, g.constant(c.inputs.get(1) + "/relayout", io.tfgw.runtime.Tensor.ofLongs(
          new long[] {mapped.length}, mapped)));
    } else {
      c.attr("axes", mapped);
    }
    g.nodes.remove(t);
    if (!isIdentity(rest)) {
      String z = c.outputs.get(0);
      OnnxGraph.Meta zm = g.meta(z);
      String inner = g.fresh(z + "/untransposed");
      long[] innerShape = zm == null || zm.shape() == null ? null : MapContext.permuted(zm.shape(), inverse(rest));
      g.meta.put(inner, new OnnxGraph.Meta(zm == null ? null : zm.dtype(), innerShape));
      c.outputs.set(0, inner);
      g.nodes.add(g.nodes.indexOf(c) + 1, new OnnxNode("Transpose", g.fresh(t.name), List.of(inner), List.of(z))
          .attr("perm", rest));
    }
    return !y.isEmpty();
  }

  /** Drops nodes whose outputs nothing uses. */
  private void removeDead() {
    boolean changed = true;
    while (changed) {
      changed = false;
      Map<String, List<OnnxNode>> consumers = g.consumers();
      for (OnnxNode n : new ArrayList<>(g.nodes)) {
        boolean used = n.outputs.stream().anyMatch(o -> consumers.containsKey(o) || g.isGraphOutput(o));
        if (!used) {
          g.nodes.remove(n);
          changed = true;
        }
      }
    }
  }
}
