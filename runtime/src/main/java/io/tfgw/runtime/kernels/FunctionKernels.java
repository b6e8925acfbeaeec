package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.NameAttrList;
import java.util.List;
import java.util.function.BiConsumer;

/** Calls of library functions and functional control flow: PartitionedCall, If, Case, While. */
final class FunctionKernels {
  /** A While loop that runs this often is taken to be endless. */
  private static final long MAX_ITERATIONS = 100_000_000L;

  private FunctionKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    OpKernel call = ctx -> ctx.outputs(ctx.call(ctx.attrFunc("f"), ctx.inputs(0, ctx.numInputs()), null));
    r.accept("PartitionedCall", call);
    r.accept("StatefulPartitionedCall", call);
    OpKernel ifKernel = ctx -> {
      NameAttrList branch = truthy(ctx.input(0)) ? ctx.attrFunc("then_branch") : ctx.attrFunc("else_branch");
      ctx.outputs(ctx.call(branch, ctx.inputs(1, ctx.numInputs()), null));
    };
    r.accept("If", ifKernel);
    r.accept("StatelessIf", ifKernel);
    OpKernel caseKernel = ctx -> {
      List<NameAttrList> branches = ctx.attr("branches").getList().getFuncList();
      long index = ctx.input(0).getLong(0);
      NameAttrList branch = index < 0 || index >= branches.size() ? branches.get(branches.size() - 1)
          : branches.get((int) index);
      ctx.outputs(ctx.call(branch, ctx.inputs(1, ctx.numInputs()), null));
    };
    r.accept("Case", caseKernel);
    r.accept("StatelessCase", caseKernel);
    OpKernel whileKernel = ctx -> {
      NameAttrList cond = ctx.attrFunc("cond");
      NameAttrList body = ctx.attrFunc("body");
      List<Tensor> vars = ctx.inputs(0, ctx.numInputs());
      boolean[] nondeterministic = null; // the loop variables' (null: as the inputs)
      for (long i = 0; ; i++) {
        if (i > MAX_ITERATIONS) {
          throw new KernelException("the loop did not end after " + MAX_ITERATIONS + " iterations");
        }
        OpContext.CallResult c = ctx.call(cond, vars, nondeterministic);
        if (c.nondeterministic()[0]) {
          ctx.markNondeterministic(); // how often the body runs is random: so is every result
        }
        if (!truthy(c.values().get(0))) {
          break;
        }
        OpContext.CallResult b = ctx.call(body, vars, nondeterministic);
        vars = b.values();
        nondeterministic = b.nondeterministic();
      }
      if (nondeterministic == null) {
        nondeterministic = new boolean[vars.size()];
        java.util.Arrays.fill(nondeterministic, ctx.isNondeterministic());
      }
      ctx.outputs(new OpContext.CallResult(vars, nondeterministic));
    };
    r.accept("While", whileKernel);
    r.accept("StatelessWhile", whileKernel);
  }

  /** TF's truth of a predicate tensor: a scalar's value (non-zero), or a non-scalar's non-emptiness. */
  static boolean truthy(Tensor t) {
    if (t.rank() > 0) {
      return t.size() > 0;
    }
    if (t.dtype() == DType.BOOL) {
      return t.bools()[0];
    }
    if (t.dtype() == DType.STRING) {
      return t.strings()[0].length > 0;
    }
    return t.getDouble(0) != 0;
  }
}
