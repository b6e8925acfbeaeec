package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Einsum of one or two operands as TF computes it: labels summed out per operand, then a transpose to
 * [batch, free, contracted] layouts, a (broadcasting) batch matrix product, and a transpose to the output order.
 * Ellipses broadcast like NumPy; repeated labels within one operand (diagonals) are not supported.
 */
final class EinsumKernel {
  private EinsumKernel() {}

  static void compute(OpContext ctx) {
    String equation = ctx.attrString("equation", "").replace(" ", "");
    List<Tensor> inputs = ctx.inputs(0, ctx.numInputs());
    ctx.output(0, einsum(equation, inputs));
  }

  static Tensor einsum(String equation, List<Tensor> inputs) {
    String lhs = equation.contains("->") ? equation.substring(0, equation.indexOf("->")) : equation;
    String[] terms = lhs.split(",", -1);
    if (terms.length != inputs.size() || terms.length < 1 || terms.length > 2) {
      throw new KernelException("einsum equation '" + equation + "' must name 1 or 2 operands matching the "
          + inputs.size() + " inputs");
    }
    // expand ellipses into digit labels aligned from the right
    int ellipsis = 0;
    for (int i = 0; i < terms.length; i++) {
      if (terms[i].contains("...")) {
        ellipsis = Math.max(ellipsis, inputs.get(i).rank() - (terms[i].length() - 3));
      }
    }
    List<List<Character>> labels = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      labels.add(expand(terms[i], inputs.get(i).rank(), ellipsis, equation));
    }
    List<Character> out;
    if (equation.contains("->")) {
      String rhs = equation.substring(equation.indexOf("->") + 2);
      out = expand(rhs, rhs.contains("...") ? rhs.length() - 3 + ellipsis : rhs.length(), ellipsis, equation);
    } else {
      Map<Character, Integer> counts = new HashMap<>();
      for (List<Character> l : labels) {
        for (char c : l) {
          counts.merge(c, 1, Integer::sum);
        }
      }
      out = new ArrayList<>();
      for (int k = ellipsis - 1; k >= 0; k--) {
        out.add((char) ('0' + k));
      }
      TreeSet<Character> once = new TreeSet<>();
      counts.forEach((c, n) -> {
        if (n == 1 && Character.isLetter(c)) {
          once.add(c);
        }
      });
      out.addAll(once);
    }
    Map<Character, Long> dims = new HashMap<>();
    List<Tensor> ops = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      List<Character> l = labels.get(i);
      if (new TreeSet<>(l).size() != l.size()) {
        throw new KernelException("einsum with a repeated label in one operand ('" + terms[i] + "') is not "
            + "supported by the runtime");
      }
      Tensor t = inputs.get(i);
      for (int d = 0; d < l.size(); d++) {
        long size = t.dim(d);
        Long prev = dims.get(l.get(d));
        if (prev != null && prev != size && prev != 1 && size != 1) {
          throw new KernelException("einsum label '" + l.get(d) + "' has sizes " + prev + " and " + size);
        }
        dims.put(l.get(d), prev == null || prev == 1 ? size : prev);
      }
      ops.add(t);
    }
    // sum out labels only one operand has and the output does not
    for (int i = 0; i < ops.size(); i++) {
      List<Character> l = labels.get(i);
      List<Character> other = ops.size() == 2 ? labels.get(1 - i) : List.of();
      List<Long> axes = new ArrayList<>();
      List<Character> kept = new ArrayList<>();
      for (int d = 0; d < l.size(); d++) {
        if (!out.contains(l.get(d)) && !other.contains(l.get(d))) {
          axes.add((long) d);
        } else {
          kept.add(l.get(d));
        }
      }
      if (!axes.isEmpty()) {
        ReductionKernels.Plan p = ReductionKernels.plan(ops.get(i), axes.stream().mapToLong(Long::longValue)
            .toArray(), false);
        ops.set(i, ReductionKernels.sum(p, ops.get(i).dtype()));
        labels.set(i, kept);
      }
    }
    if (ops.size() == 1) {
      return permute(ops.get(0), labels.get(0), out);
    }
    List<Character> a = labels.get(0);
    List<Character> b = labels.get(1);
    List<Character> batch = new ArrayList<>();
    List<Character> freeA = new ArrayList<>();
    List<Character> freeB = new ArrayList<>();
    List<Character> contracted = new ArrayList<>();
    for (char c : out) {
      if (a.contains(c) && b.contains(c)) {
        batch.add(c);
      } else if (a.contains(c)) {
        freeA.add(c);
      } else if (b.contains(c)) {
        freeB.add(c);
      } else {
        throw new KernelException("einsum output label '" + c + "' appears in no input");
      }
    }
    for (char c : a) {
      if (b.contains(c) && !out.contains(c)) {
        contracted.add(c);
      }
    }
    Tensor ta = arrange(ops.get(0), a, batch, freeA, contracted);
    Tensor tb = arrange(ops.get(1), b, batch, contracted, freeB);
    Tensor prod = NnKernels.batchMatmul(ta, tb, false, false);
    List<Long> resultDims = new ArrayList<>();
    List<Character> resultLabels = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      resultDims.add((long) prod.dim(i));
      resultLabels.add(batch.get(i));
    }
    for (char c : freeA) {
      resultDims.add(dims.get(c));
      resultLabels.add(c);
    }
    for (char c : freeB) {
      resultDims.add(dims.get(c));
      resultLabels.add(c);
    }
    return permute(prod.reshape(Shape.of(resultDims)), resultLabels, out);
  }

  private static List<Character> expand(String term, int rank, int ellipsis, String equation) {
    List<Character> out = new ArrayList<>();
    int e = term.indexOf("...");
    String plain = e >= 0 ? term.replace("...", "") : term;
    for (char c : plain.toCharArray()) {
      if (!Character.isLetter(c)) {
        throw new KernelException("bad einsum equation '" + equation + "'");
      }
    }
    if (e < 0) {
      if (term.length() != rank) {
        throw new KernelException("einsum term '" + term + "' has " + term.length() + " labels for rank " + rank);
      }
      for (char c : term.toCharArray()) {
        out.add(c);
      }
      return out;
    }
    int k = rank - plain.length();
    for (char c : term.substring(0, e).toCharArray()) {
      out.add(c);
    }
    for (int i = k - 1; i >= 0; i--) {
      out.add((char) ('0' + i));
    }
    for (char c : term.substring(e + 3).toCharArray()) {
      out.add(c);
    }
    return out;
  }

  /** Transposes to [batch..., first..., second...] and reshapes to [batch..., prod(first), prod(second)]. */
  private static Tensor arrange(Tensor t, List<Character> labels, List<Character> batch, List<Character> first,
      List<Character> second) {
    List<Character> order = new ArrayList<>(batch);
    order.addAll(first);
    order.addAll(second);
    Tensor p = permute(t, labels, order);
    long[] dims = new long[batch.size() + 2];
    for (int i = 0; i < batch.size(); i++) {
      dims[i] = p.dim(i);
    }
    long m = 1;
    for (int i = 0; i < first.size(); i++) {
      m *= p.dim(batch.size() + i);
    }
    long k = 1;
    for (int i = 0; i < second.size(); i++) {
      k *= p.dim(batch.size() + first.size() + i);
    }
    dims[batch.size()] = m;
    dims[batch.size() + 1] = k;
    return p.reshape(Shape.of(dims));
  }

  private static Tensor permute(Tensor t, List<Character> from, List<Character> to) {
    Map<Character, Integer> pos = new LinkedHashMap<>();
    for (int i = 0; i < from.size(); i++) {
      pos.put(from.get(i), i);
    }
    long[] perm = new long[to.size()];
    boolean identity = true;
    for (int i = 0; i < to.size(); i++) {
      Integer p = pos.get(to.get(i));
      if (p == null) {
        throw new KernelException("einsum label '" + to.get(i) + "' is missing");
      }
      perm[i] = p;
      identity &= p == i;
    }
    return identity ? t : ArrayKernels.transpose(t, perm);
  }
}
