package io.tfgw.runtime.kernels;

import io.tfgw.core.TfgwException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.ResourceHandle;
import io.tfgw.runtime.Tensor;
import io.tfgw.runtime.Variable;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Variables and checkpoint restore: TF1 ref variables (VariableV2, Assign), resource variables (VarHandleOp,
 * ReadVariableOp, AssignVariableOp), and the restore ops of savers (RestoreV2, Restore, RestoreSlice), which read
 * the session's checkpoint whatever file name the graph passes them.
 */
final class StateKernels {
  private StateKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    OpKernel refVariable = ctx -> ctx.outputRaw(0, ctx.session().variable(variableKey(ctx), ctx.attrType("dtype")));
    r.accept("VariableV2", refVariable);
    r.accept("Variable", refVariable);
    r.accept("VarHandleOp", ctx -> {
      String key = variableKey(ctx);
      ctx.session().variable(key, ctx.attrType("dtype"));
      ctx.output(0, Tensor.of(DType.RESOURCE, Shape.scalar(), new Object[] {new ResourceHandle(key)}));
    });
    // resource variables are copy-on-write in TF: a read keeps its value whatever is assigned later
    r.accept("ReadVariableOp", ctx -> ctx.output(0, ctx.read(resource(ctx, 0, ctx.attrType("dtype", null)))));
    r.accept("AssignVariableOp", ctx -> {
      Tensor value = ctx.input(1);
      resource(ctx, 0, ctx.attrType("dtype", null)).assign(value, ctx.isNondeterministic());
    });
    r.accept("AssignAddVariableOp", ctx -> {
      Variable v = resource(ctx, 0, ctx.attrType("dtype", null));
      Tensor sum = updated(ctx, v, true);
      v.assign(sum, ctx.isNondeterministic());
    });
    r.accept("AssignSubVariableOp", ctx -> {
      Variable v = resource(ctx, 0, ctx.attrType("dtype", null));
      Tensor difference = updated(ctx, v, false);
      v.assign(difference, ctx.isNondeterministic());
    });
    r.accept("VarIsInitializedOp", ctx -> ctx.output(0, Tensor.scalar(resource(ctx, 0, null).isInitialized())));
    r.accept("DestroyResourceOp", ctx -> { });
    r.accept("ResourceGather", ctx -> {
      Variable v = resource(ctx, 0, ctx.attrType("dtype", null));
      ctx.output(0, ArrayKernels.gather(ctx.read(v), ctx.input(1), (int) ctx.attrInt("batch_dims", 0),
          (int) ctx.attrInt("batch_dims", 0)));
    });
    // TF1 ref variables are updated in place: tensors read from them earlier see the update (see Variable)
    r.accept("Assign", ctx -> {
      Variable v = ctx.ref(0);
      Tensor value = ctx.input(1);
      if (ctx.attrBool("validate_shape", true) && v.isInitialized() && !v.value().shape().equals(value.shape())) {
        throw new KernelException("Assign requires shapes of both tensors to match. lhs shape= " + v.value().shape()
            + " rhs shape= " + value.shape());
      }
      v.assignInPlace(value, ctx.isNondeterministic());
      ctx.outputRaw(0, v);
    });
    r.accept("AssignAdd", ctx -> {
      Variable v = ctx.ref(0);
      Tensor sum = updated(ctx, v, true);
      v.updateInPlace(sum, ctx.isNondeterministic());
      ctx.outputRaw(0, v);
    });
    r.accept("AssignSub", ctx -> {
      Variable v = ctx.ref(0);
      Tensor difference = updated(ctx, v, false);
      v.updateInPlace(difference, ctx.isNondeterministic());
      ctx.outputRaw(0, v);
    });
    r.accept("IsVariableInitialized", ctx -> ctx.output(0, Tensor.scalar(ctx.ref(0).isInitialized())));

    r.accept("RestoreV2", StateKernels::restoreV2);
    r.accept("Restore", ctx -> ctx.output(0, restore(ctx, string(ctx.input(1), 0), "", ctx.attrType("dt"))));
    r.accept("RestoreSlice", ctx -> ctx.output(0, restore(ctx, string(ctx.input(1), 0), string(ctx.input(2), 0),
        ctx.attrType("dt"))));
    r.accept("StringJoin", ctx -> {
      String sep = ctx.attrString("separator", "");
      List<Tensor> in = ctx.inputs(0, ctx.numInputs());
      int n = 1;
      Tensor shaped = null;
      for (Tensor t : in) {
        if (t.size() != 1 || t.rank() > 0) {
          n = t.size();
          shaped = t;
        }
      }
      byte[][] out = new byte[n][];
      for (int i = 0; i < n; i++) {
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < in.size(); j++) {
          if (j > 0) {
            b.append(sep);
          }
          Tensor t = in.get(j);
          b.append(string(t, t.size() == 1 ? 0 : i));
        }
        out[i] = b.toString().getBytes(StandardCharsets.UTF_8);
      }
      ctx.output(0, Tensor.of(DType.STRING, shaped == null ? Shape.scalar() : shaped.shape(), out));
    });
    r.accept("ShardedFilename", ctx -> ctx.output(0, Tensor.scalarString(String.format("%s-%05d-of-%05d",
        string(ctx.input(0), 0), ctx.input(1).getLong(0), ctx.input(2).getLong(0)).getBytes(StandardCharsets.UTF_8))));
    r.accept("ShardedFilespec", ctx -> ctx.output(0, Tensor.scalarString(String.format("%s-?????-of-%05d",
        string(ctx.input(0), 0), ctx.input(1).getLong(0)).getBytes(StandardCharsets.UTF_8))));
    r.accept("StaticRegexFullMatch", ctx -> {
      Tensor in = ctx.input(0);
      java.util.regex.Pattern p = java.util.regex.Pattern.compile(ctx.attrString("pattern", ""));
      boolean[] out = new boolean[in.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = p.matcher(string(in, i)).matches();
      }
      ctx.output(0, Tensor.of(DType.BOOL, in.shape(), out));
    });
  }

  private static String variableKey(OpContext ctx) {
    String shared = ctx.attrString("shared_name", "");
    return shared.isEmpty() ? ctx.nodeName() : shared;
  }

  private static Variable resource(OpContext ctx, int input, DType dtype) {
    Tensor t = ctx.input(input);
    if (t.dtype() != DType.RESOURCE || t.size() != 1 || !(t.objects()[0] instanceof ResourceHandle h)) {
      throw new KernelException("input " + input + " must be a resource handle, got " + t.dtype() + t.shape());
    }
    return ctx.session().variable(h.key(), dtype);
  }

  /** The variable's value plus (or minus) input 1, which must have the variable's shape. */
  private static Tensor updated(OpContext ctx, Variable v, boolean add) {
    Tensor old = ctx.read(v);
    Tensor delta = ctx.input(1);
    if (!old.shape().equals(delta.shape())) {
      throw new KernelException("Cannot update variable with shape " + old.shape() + " using a Tensor with shape "
          + delta.shape() + ", shapes must be equal.");
    }
    return add
        ? Elementwise.binary(ctx, old, delta, (a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b, null)
        : Elementwise.binary(ctx, old, delta, (a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b, null);
  }

  static String string(Tensor t, int i) {
    return new String(t.strings()[i], StandardCharsets.UTF_8);
  }

  private static void restoreV2(OpContext ctx) {
    Tensor names = ctx.input(1);
    Tensor specs = ctx.input(2);
    List<DType> dtypes = ctx.attrTypes("dtypes");
    if (names.size() != dtypes.size() || specs.size() != dtypes.size()) {
      throw new KernelException("tensor_names (" + names.size() + "), shape_and_slices (" + specs.size()
          + ") and dtypes (" + dtypes.size() + ") must have the same number of elements");
    }
    for (int i = 0; i < names.size(); i++) {
      ctx.output(i, restore(ctx, string(names, i), string(specs, i), dtypes.get(i)));
    }
  }

  /** One tensor (or the slice a {@code "dims slice"} spec names) of the session's checkpoint. */
  private static Tensor restore(OpContext ctx, String name, String spec, DType dtype) {
    CheckpointReader ckpt = ctx.session().requireCheckpoint();
    TensorInfo info;
    try {
      info = ckpt.require(name);
    } catch (TfgwException e) {
      throw new KernelException(e.getMessage());
    }
    if (info.dtype() != dtype) {
      throw new KernelException("tensor '" + name + "' is " + info.dtype() + " in the checkpoint, but the graph "
          + "restores it as " + dtype);
    }
    if (spec.isBlank()) {
      return Tensor.fromData(ckpt.read(name));
    }
    String[] parts = spec.trim().split(" ");
    TensorSlice slice = TensorSlice.parse(parts[parts.length - 1]);
    for (TensorSlice stored : info.slices()) {
      if (stored.equals(slice)) {
        return Tensor.fromData(ckpt.readSlice(name, slice));
      }
    }
    Tensor full = Tensor.fromData(ckpt.read(name));
    long[] dims = full.dims();
    int[] strides = Strided.strides(dims);
    long[] outDims = new long[dims.length];
    int offset = 0;
    for (int d = 0; d < dims.length; d++) {
      if (slice.isFullAt(d)) {
        outDims[d] = dims[d];
      } else {
        outDims[d] = slice.length(d);
        offset += (int) slice.start(d) * strides[d];
      }
    }
    return ArrayKernels.strided(full, offset, strides, outDims);
  }
}
