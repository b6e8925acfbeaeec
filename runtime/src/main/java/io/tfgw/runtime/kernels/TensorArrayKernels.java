package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * TF1 TensorArrays (V3), as {@code tf.nn.dynamic_rnn} and {@code tf.while_loop} use them: the handle is a resource
 * tensor holding the array itself; the float "flow" tensor only orders reads after writes, which the executor's
 * dataflow already guarantees.
 */
final class TensorArrayKernels {
  private TensorArrayKernels() {}

  /** The state of one TensorArray. */
  static final class TensorArray {
    final DType dtype;
    final long[] elementShape;
    final boolean dynamic;
    final List<Tensor> elements = new ArrayList<>();

    TensorArray(DType dtype, long[] elementShape, boolean dynamic, int size) {
      this.dtype = dtype;
      this.elementShape = elementShape;
      this.dynamic = dynamic;
      for (int i = 0; i < size; i++) {
        elements.add(null);
      }
    }

    Tensor read(int i) {
      if (i < 0 || i >= elements.size()) {
        throw new KernelException("Tried to read from index " + i + " but array size is: " + elements.size());
      }
      Tensor t = elements.get(i);
      if (t == null) {
        if (elementShape != null && allKnown(elementShape)) {
          return Tensor.zeros(dtype, Shape.of(elementShape));
        }
        throw new KernelException("Could not read from TensorArray index " + i + ": it has not been written");
      }
      return t;
    }

    void write(int i, Tensor value) {
      if (value.dtype() != dtype) {
        throw new KernelException("TensorArray dtype is " + dtype + " but the value written is " + value.dtype());
      }
      if (i < 0) {
        throw new KernelException("Tried to write to index " + i);
      }
      if (i >= elements.size()) {
        if (!dynamic) {
          throw new KernelException("Tried to write to index " + i + " but array is not resizeable and size is: "
              + elements.size());
        }
        while (elements.size() <= i) {
          elements.add(null);
        }
      }
      elements.set(i, value);
    }
  }

  private static boolean allKnown(long[] dims) {
    for (long d : dims) {
      if (d < 0) {
        return false;
      }
    }
    return true;
  }

  private static final Tensor FLOW = Tensor.scalar(0f);

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("TensorArrayV3", ctx -> {
      int size = (int) ctx.input(0).getLong(0);
      TensorArray ta = new TensorArray(ctx.attrType("dtype"), ctx.attrShape("element_shape"),
          ctx.attrBool("dynamic_size", false), size);
      ctx.output(0, Tensor.of(DType.RESOURCE, Shape.scalar(), new Object[] {ta}));
      ctx.output(1, FLOW);
    });
    r.accept("TensorArrayWriteV3", ctx -> {
      array(ctx).write((int) ctx.input(1).getLong(0), ctx.input(2));
      ctx.output(0, FLOW);
    });
    r.accept("TensorArrayReadV3", ctx -> ctx.output(0, array(ctx).read((int) ctx.input(1).getLong(0))));
    r.accept("TensorArraySizeV3", ctx -> ctx.output(0, Tensor.scalar(array(ctx).elements.size())));
    r.accept("TensorArrayCloseV3", ctx -> { });
    r.accept("TensorArrayGatherV3", ctx -> {
      TensorArray ta = array(ctx);
      Tensor indices = ctx.input(1);
      List<Tensor> parts = new ArrayList<>();
      for (int i = 0; i < indices.size(); i++) {
        parts.add(expand(ta.read((int) indices.getLong(i))));
      }
      if (parts.isEmpty()) {
        long[] es = ctx.attrShape("element_shape");
        if (es == null || !allKnown(es)) {
          es = ta.elementShape;
        }
        if (es == null || !allKnown(es)) {
          throw new KernelException("gathering no elements needs a fully known element_shape");
        }
        long[] dims = new long[es.length + 1];
        System.arraycopy(es, 0, dims, 1, es.length);
        ctx.output(0, Tensor.zeros(ta.dtype, Shape.of(dims)));
        return;
      }
      ctx.output(0, ArrayKernels.concat(parts, 0));
    });
    r.accept("TensorArrayScatterV3", ctx -> {
      TensorArray ta = array(ctx);
      Tensor indices = ctx.input(1);
      Tensor value = ctx.input(2);
      if (value.rank() == 0 || value.dim(0) != indices.size()) {
        throw new KernelException("value of shape " + value.shape() + " does not match " + indices.size()
            + " indices");
      }
      long[] sizes = new long[indices.size()];
      java.util.Arrays.fill(sizes, 1);
      List<Tensor> rows = ArrayKernels.split(value, 0, sizes);
      long[] elementDims = java.util.Arrays.copyOfRange(value.dims(), 1, value.rank());
      for (int i = 0; i < sizes.length; i++) {
        ta.write((int) indices.getLong(i), rows.get(i).reshape(Shape.of(elementDims)));
      }
      ctx.output(0, FLOW);
    });
    r.accept("TensorArrayConcatV3", ctx -> {
      TensorArray ta = array(ctx);
      List<Tensor> parts = new ArrayList<>();
      long[] lengths = new long[ta.elements.size()];
      for (int i = 0; i < ta.elements.size(); i++) {
        Tensor t = ta.read(i);
        parts.add(t);
        lengths[i] = t.rank() == 0 ? 1 : t.dim(0);
      }
      ctx.output(0, ArrayKernels.concat(parts, 0));
      ctx.output(1, Tensor.ofLongs(new long[] {lengths.length}, lengths));
    });
    r.accept("TensorArraySplitV3", ctx -> {
      TensorArray ta = array(ctx);
      Tensor value = ctx.input(1);
      long[] lengths = ctx.input(2).toLongs();
      List<Tensor> parts = ArrayKernels.split(value, 0, lengths);
      for (int i = 0; i < parts.size(); i++) {
        ta.write(i, parts.get(i));
      }
      ctx.output(0, FLOW);
    });
  }

  private static Tensor expand(Tensor t) {
    long[] dims = new long[t.rank() + 1];
    dims[0] = 1;
    System.arraycopy(t.dims(), 0, dims, 1, t.rank());
    return t.reshape(Shape.of(dims));
  }

  private static TensorArray array(OpContext ctx) {
    Tensor h = ctx.input(0);
    if (h.dtype() == DType.RESOURCE && h.size() == 1 && h.objects()[0] instanceof TensorArray ta) {
      return ta;
    }
    throw new KernelException("input 0 must be a TensorArray handle, got " + h.dtype() + h.shape());
  }
}
