package io.tfgw.runtime.kernels;

import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * TF2 TensorLists ({@code tf.TensorArray} in TF2 functions, Keras RNN loops), with the semantics of TF's
 * {@code list_kernels.h/.cc}: a list is a scalar VARIANT tensor holding an immutable {@link TensorList}; every op
 * that changes a list outputs a new one, so a list flowing through While loop variables and function calls is a
 * plain value (TF copies on write when the buffer is shared, which gives the same results).
 */
final class TensorListKernels {
  private TensorListKernels() {}

  /**
   * One list value. {@code elementShape} is null for an unknown rank, else its dims with -1 for unknown ones; a null
   * element was never written (TF's DT_INVALID placeholder) and reads as zeros of the element shape when that is
   * fully known.
   */
  static final class TensorList {
    final DType dtype;
    final long[] elementShape;
    final int maxNumElements;
    final List<Tensor> elements;

    TensorList(DType dtype, long[] elementShape, int maxNumElements, List<Tensor> elements) {
      this.dtype = dtype;
      this.elementShape = elementShape;
      this.maxNumElements = maxNumElements;
      this.elements = Collections.unmodifiableList(elements);
    }

    int size() {
      return elements.size();
    }

    TensorList with(List<Tensor> newElements) {
      return new TensorList(dtype, elementShape, maxNumElements, newElements);
    }

    List<Tensor> copy() {
      return new ArrayList<>(elements);
    }
  }

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("EmptyTensorList", ctx -> {
      long max = ctx.input(1).getLong(0);
      if (max < -1) {
        throw new KernelException("max_num_elements must be -1 or non-negative, got " + max);
      }
      out(ctx, 0, new TensorList(ctx.attrType("element_dtype"), shapeInput(ctx.input(0)), (int) max,
          new ArrayList<>()));
    });
    r.accept("TensorListReserve", ctx -> {
      long n = ctx.input(1).getLong(0);
      if (n < 0) {
        throw new KernelException("The num_elements to reserve must be a non negative number, but got " + n);
      }
      out(ctx, 0, new TensorList(ctx.attrType("element_dtype"), shapeInput(ctx.input(0)), -1,
          new ArrayList<>(Collections.nCopies((int) n, (Tensor) null))));
    });
    r.accept("TensorListFromTensor", ctx -> {
      Tensor t = ctx.input(0);
      if (t.rank() < 1) {
        throw new KernelException("Tensor must be at least a vector, but saw shape: " + t.shape());
      }
      long[] elementShape = shapeInput(ctx.input(1));
      long[] itemDims = Arrays.copyOfRange(t.dims(), 1, t.rank());
      requireCompatible(elementShape, itemDims, "Specified a list with shape " + describe(elementShape)
          + " from a tensor with shape " + t.shape());
      out(ctx, 0, new TensorList(t.dtype(), elementShape, -1, rows(t)));
    });
    r.accept("TensorListLength", ctx -> ctx.output(0, Tensor.scalar(list(ctx, 0).size())));
    r.accept("TensorListElementShape", ctx -> {
      long[] s = list(ctx, 0).elementShape;
      DType type = ctx.attrType("shape_type", DType.INT32);
      ctx.output(0, s == null ? shapeTensor(type, new long[0], true) : shapeTensor(type, s, false));
    });
    r.accept("TensorListSetItem", ctx -> {
      TensorList l = list(ctx, 0);
      long index = ctx.input(1).getLong(0);
      Tensor item = ctx.input(2);
      checkItem(l, item, ctx);
      List<Tensor> elements = l.copy();
      if (index < 0 || index >= elements.size()) {
        if (index < 0 || !ctx.attrBool("resize_if_index_out_of_bounds", false)) {
          throw new KernelException("Trying to modify element " + index + " in a list with " + elements.size()
              + " elements.");
        }
        while (elements.size() <= index) {
          elements.add(null);
        }
      }
      elements.set((int) index, item);
      out(ctx, 0, l.with(elements));
    });
    r.accept("TensorListGetItem", ctx -> {
      TensorList l = list(ctx, 0);
      checkDtype(l, ctx);
      long index = ctx.input(1).getLong(0);
      if (index < 0 || index >= l.size()) {
        throw new KernelException("Trying to access element " + index + " in a list with " + l.size()
            + " elements.");
      }
      ctx.output(0, element(l, (int) index, shapeInput(ctx.input(2))));
    });
    r.accept("TensorListPushBack", ctx -> {
      TensorList l = list(ctx, 0);
      Tensor item = ctx.input(1);
      checkItem(l, item, ctx);
      if (l.maxNumElements != -1 && l.size() >= l.maxNumElements) {
        throw new KernelException("Tried to push item into a full list list size: " + l.size()
            + " max_num_elements: " + l.maxNumElements);
      }
      List<Tensor> elements = l.copy();
      elements.add(item);
      out(ctx, 0, l.with(elements));
    });
    r.accept("TensorListPopBack", ctx -> {
      TensorList l = list(ctx, 0);
      checkDtype(l, ctx);
      if (l.size() == 0) {
        throw new KernelException("Trying to pop from an empty list.");
      }
      Tensor last = element(l, l.size() - 1, shapeInput(ctx.input(1)));
      List<Tensor> elements = l.copy();
      elements.remove(elements.size() - 1);
      out(ctx, 0, l.with(elements));
      ctx.output(1, last);
    });
    r.accept("TensorListResize", ctx -> {
      TensorList l = list(ctx, 0);
      long size = ctx.input(1).getLong(0);
      if (size < 0) {
        throw new KernelException("TensorListSlice expects size to be non-negative. Got: " + size);
      }
      List<Tensor> elements = new ArrayList<>(l.elements.subList(0, (int) Math.min(size, l.size())));
      while (elements.size() < size) {
        elements.add(null);
      }
      out(ctx, 0, l.with(elements));
    });
    r.accept("TensorListStack", ctx -> {
      TensorList l = list(ctx, 0);
      checkDtype(l, ctx);
      long expected = ctx.attrInt("num_elements", -1);
      if (expected != -1 && expected != l.size()) {
        throw new KernelException("Operation expected a list with " + expected + " elements but got a list with "
            + l.size() + " elements.");
      }
      int[] indices = new int[l.size()];
      for (int i = 0; i < indices.length; i++) {
        indices[i] = i;
      }
      ctx.output(0, gather(l, indices, shapeInput(ctx.input(1))));
    });
    r.accept("TensorListGather", ctx -> {
      TensorList l = list(ctx, 0);
      checkDtype(l, ctx);
      Tensor idx = ctx.input(1);
      int[] indices = new int[idx.size()];
      for (int i = 0; i < indices.length; i++) {
        long k = idx.getLong(i);
        if (k < 0 || k >= l.size()) {
          throw new KernelException("Trying to gather element " + k + " in a list with " + l.size()
              + " elements.");
        }
        indices[i] = (int) k;
      }
      ctx.output(0, gather(l, indices, shapeInput(ctx.input(2))));
    });
    // TF 2.21: without num_elements (V1, or -1) the list ends at the largest index; with it, it has exactly that
    // many elements and larger indices fail (measured against TF, see RuntimeTensorListOracleTest)
    r.accept("TensorListScatter", ctx -> scatterNew(ctx, -1));
    r.accept("TensorListScatterV2", ctx -> scatterNew(ctx, ctx.input(3).getLong(0)));
    r.accept("TensorListScatterIntoExistingList", ctx -> {
      TensorList l = list(ctx, 0);
      Tensor t = ctx.input(1);
      if (t.dtype() != l.dtype) {
        throw dtypeMismatch(l, t.dtype());
      }
      out(ctx, 0, l.with(scatter(l.copy(), l.elementShape, t, ctx.input(2), true)));
    });
    r.accept("TensorListSplit", ctx -> {
      Tensor t = ctx.input(0);
      if (t.rank() < 1) {
        throw new KernelException("Tensor must be at least a vector, but saw shape: " + t.shape());
      }
      long[] elementShape = shapeInput(ctx.input(1));
      long[] lengths = ctx.input(2).toLongs();
      long end = 0;
      for (long n : lengths) {
        if (n < 0) {
          throw new KernelException("Invalid value in lengths: " + n);
        }
        if (end + n > t.dim(0)) {
          throw new KernelException("Attempting to slice [" + end + ", " + (end + n) + "] from tensor with length "
              + t.dim(0));
        }
        end += n;
      }
      if (end != t.dim(0)) {
        throw new KernelException("Unused values in tensor. Length of tensor: " + t.dim(0) + " Values used: " + end);
      }
      List<Tensor> parts = ArrayKernels.split(t, 0, lengths);
      for (Tensor p : parts) {
        requireCompatible(elementShape, p.dims(), "Tried to split a tensor of shape " + t.shape()
            + " into elements of shape " + describe(elementShape));
      }
      out(ctx, 0, new TensorList(t.dtype(), elementShape, -1, new ArrayList<>(parts)));
    });
    r.accept("TensorListConcatV2", TensorListKernels::concat);
    r.accept("TensorListConcat", TensorListKernels::concat);
  }

  /** TensorListConcat[V2]: elements joined along their first dim, plus each element's length along it. */
  private static void concat(OpContext ctx) {
    TensorList l = list(ctx, 0);
    checkDtype(l, ctx);
    long[] requested = ctx.numInputs() > 1 ? shapeInput(ctx.input(1)) : ctx.attrShape("element_shape");
    long[] shape = merge(l.elementShape, requested);
    if (shape != null && shape.length == 0) {
      throw new KernelException("Concat requires elements to be at least vectors, found scalars instead.");
    }
    long[] leading = ctx.numInputs() > 2 ? ctx.input(2).toLongs() : new long[0];
    if (leading.length > 0 && leading.length != l.size()) {
      throw new KernelException("leading_dims has " + leading.length + " entries for a list of " + l.size()
          + " elements");
    }
    List<Tensor> parts = new ArrayList<>();
    long[] lengths = new long[l.size()];
    for (int i = 0; i < l.size(); i++) {
      Tensor t = l.elements.get(i);
      if (t == null) {
        if (leading.length == 0 || shape == null || !allKnownAfterFirst(shape)) {
          throw new KernelException("Element " + i + " of the list was never written: concatenating it needs "
              + "leading_dims and an element_shape known in all but its first dimension, got "
              + describe(shape));
        }
        long[] dims = shape.clone();
        dims[0] = leading[i];
        t = Tensor.zeros(l.dtype, Shape.of(dims));
      }
      if (t.rank() == 0) {
        throw new KernelException("Concat saw a scalar shape at index " + i + " but requires at least vectors.");
      }
      requireCompatible(shape == null ? null : withUnknownFirst(shape), t.dims(), "Tried to concat element " + i
          + " of shape " + t.shape() + " with elements of shape " + describe(shape));
      parts.add(t);
      lengths[i] = t.dim(0);
    }
    if (parts.isEmpty()) {
      if (shape == null || !allKnownAfterFirst(shape)) {
        throw new KernelException("All except the first dimension must be fully defined when concating an empty "
            + "tensor list. element_shape: " + describe(shape));
      }
      long[] dims = shape.clone();
      dims[0] = 0;
      ctx.output(0, Tensor.zeros(l.dtype, Shape.of(dims)));
    } else {
      for (int i = 1; i < parts.size(); i++) {
        long[] a = Arrays.copyOfRange(parts.get(0).dims(), 1, parts.get(0).rank());
        long[] b = Arrays.copyOfRange(parts.get(i).dims(), 1, parts.get(i).rank());
        if (!Arrays.equals(a, b)) {
          throw new KernelException("Tried to concat tensors with unequal shapes: " + parts.get(0).shape()
              + " vs " + parts.get(i).shape());
        }
      }
      ctx.output(0, ArrayKernels.concat(parts, 0));
    }
    ctx.output(1, Tensor.ofLongs(new long[] {lengths.length}, lengths));
  }

  /** TensorListScatter[V2]: a new list of max(num_elements, largest index + 1) elements. */
  private static void scatterNew(OpContext ctx, long numElements) {
    Tensor t = ctx.input(0);
    long[] elementShape = shapeInput(ctx.input(2));
    List<Tensor> elements = new ArrayList<>();
    while (elements.size() < numElements) {
      elements.add(null);
    }
    if (numElements < -1) {
      throw new KernelException("TensorListScatter expects num_elements >= -1, found: " + numElements);
    }
    out(ctx, 0, new TensorList(t.dtype(), elementShape, -1,
        scatter(elements, elementShape, t, ctx.input(1), numElements == -1)));
  }

  private static List<Tensor> scatter(List<Tensor> elements, long[] elementShape, Tensor t, Tensor indices,
      boolean grow) {
    if (t.rank() < 1) {
      throw new KernelException("Tensor must be at least a vector, but saw shape: " + t.shape());
    }
    if (indices.size() != t.dim(0)) {
      throw new KernelException("Invalid number of rows in input tensor. Expected: " + indices.size()
          + " Actual: " + t.dim(0));
    }
    long[] itemDims = Arrays.copyOfRange(t.dims(), 1, t.rank());
    requireCompatible(elementShape, itemDims, "Specified a list with shape " + describe(elementShape)
        + " from a tensor with shape " + t.shape());
    List<Tensor> rows = rows(t);
    for (int i = 0; i < rows.size(); i++) {
      long k = indices.getLong(i);
      if (k < 0) {
        throw new KernelException("Indices in TensorListScatter must all be non-negative.");
      }
      if (k >= elements.size() && !grow) {
        throw new KernelException("TensorListScatter: Trying to scatter at index " + k + " in list with size "
            + elements.size());
      }
      while (elements.size() <= k) {
        elements.add(null);
      }
      elements.set((int) k, rows.get(i));
    }
    return elements;
  }

  /** Stack/Gather: the chosen elements stacked along a new first dim; never-written ones as zeros. */
  private static Tensor gather(TensorList l, int[] indices, long[] requested) {
    long[] shape = merge(l.elementShape, requested);
    if (shape == null || !allKnown(shape)) {
      // TF takes the shape of the first written element among the chosen ones
      for (int i : indices) {
        Tensor t = l.elements.get(i);
        if (t != null) {
          shape = merge(shape, t.dims());
          break;
        }
      }
    }
    if (shape == null || !allKnown(shape)) {
      throw new KernelException("Tried to stack elements of an empty list with non-fully-defined element_shape: "
          + describe(shape));
    }
    Tensor zeros = null;
    List<Tensor> parts = new ArrayList<>(indices.length);
    for (int i : indices) {
      Tensor t = l.elements.get(i);
      if (t == null) {
        if (zeros == null) {
          zeros = Tensor.zeros(l.dtype, Shape.of(shape));
        }
        t = zeros;
      } else if (!Arrays.equals(t.dims(), shape)) {
        throw new KernelException("Incompatible shapes in the list: element " + i + " has shape " + t.shape()
            + " but the stacked element shape is " + describe(shape));
      }
      parts.add(t.reshape(Shape.of(prepend(1, shape))));
    }
    if (parts.isEmpty()) {
      return Tensor.zeros(l.dtype, Shape.of(prepend(0, shape)));
    }
    return parts.size() == 1 ? parts.get(0) : ArrayKernels.concat(parts, 0);
  }

  /** One element; a never-written one is zeros of the list's element shape merged with {@code requested}. */
  private static Tensor element(TensorList l, int index, long[] requested) {
    Tensor t = l.elements.get(index);
    if (t != null) {
      return t;
    }
    long[] shape = merge(l.elementShape, requested);
    if (shape == null || !allKnown(shape)) {
      throw new KernelException("Trying to read an uninitialized tensor but element_shape is not fully defined: "
          + describe(shape) + " and no list element is set.");
    }
    return Tensor.zeros(l.dtype, Shape.of(shape));
  }

  private static void checkDtype(TensorList l, OpContext ctx) {
    DType want = ctx.attrType("element_dtype");
    if (want != l.dtype) {
      throw new KernelException("Invalid data types; op elements " + want + " but list elements " + l.dtype);
    }
  }

  private static void checkItem(TensorList l, Tensor item, OpContext ctx) {
    if (item.dtype() != l.dtype) {
      throw dtypeMismatch(l, item.dtype());
    }
    requireCompatible(l.elementShape, item.dims(), "Tried to set a tensor with incompatible shape at a list "
        + "index. Item element shape: " + item.shape() + " list shape: " + describe(l.elementShape));
  }

  private static KernelException dtypeMismatch(TensorList l, DType got) {
    return new KernelException("Invalid data types; list elements " + l.dtype + " but tried to append " + got);
  }

  private static List<Tensor> rows(Tensor t) {
    long[] sizes = new long[t.dim(0)];
    Arrays.fill(sizes, 1);
    long[] itemDims = Arrays.copyOfRange(t.dims(), 1, t.rank());
    List<Tensor> rows = new ArrayList<>(sizes.length);
    if (sizes.length == 0) {
      return rows;
    }
    for (Tensor row : ArrayKernels.split(t, 0, sizes)) {
      rows.add(row.reshape(Shape.of(itemDims)));
    }
    return rows;
  }

  /** A shape operand: a scalar -1 is an unknown rank, else a vector of dims with -1 for unknown ones. */
  static long[] shapeInput(Tensor t) {
    if (t.rank() == 0) {
      long v = t.getLong(0);
      if (v != -1) {
        throw new KernelException("The only valid scalar shape tensor is the fully unknown shape specified as -1, "
            + "got " + v);
      }
      return null;
    }
    long[] dims = t.toLongs();
    for (long d : dims) {
      if (d < -1) {
        throw new KernelException("Dimension " + d + " must be >= -1 in shape " + Arrays.toString(dims));
      }
    }
    return dims;
  }

  private static Tensor shapeTensor(DType type, long[] dims, boolean unknownRank) {
    long[] shape = unknownRank ? new long[0] : new long[] {dims.length};
    long[] values = unknownRank ? new long[] {-1} : dims;
    if (type == DType.INT64) {
      return Tensor.ofLongs(shape, values);
    }
    int[] v = new int[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (int) values[i];
    }
    return Tensor.ofInts(shape, v);
  }

  /** The most specific shape compatible with both; null (unknown rank) merges with anything. */
  static long[] merge(long[] a, long[] b) {
    if (a == null) {
      return b == null ? null : b.clone();
    }
    if (b == null) {
      return a.clone();
    }
    if (a.length != b.length) {
      throw new KernelException("Incompatible ranks during merge: " + describe(a) + " vs. " + describe(b));
    }
    long[] m = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      if (a[i] != -1 && b[i] != -1 && a[i] != b[i]) {
        throw new KernelException("Incompatible shapes during merge: " + describe(a) + " vs. " + describe(b));
      }
      m[i] = a[i] != -1 ? a[i] : b[i];
    }
    return m;
  }

  private static void requireCompatible(long[] shape, long[] dims, String message) {
    if (shape == null) {
      return;
    }
    boolean ok = shape.length == dims.length;
    for (int i = 0; ok && i < dims.length; i++) {
      ok = shape[i] == -1 || shape[i] == dims[i];
    }
    if (!ok) {
      throw new KernelException(message);
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

  private static boolean allKnownAfterFirst(long[] dims) {
    return dims.length > 0 && allKnown(Arrays.copyOfRange(dims, 1, dims.length));
  }

  private static long[] withUnknownFirst(long[] dims) {
    long[] d = dims.clone();
    d[0] = -1;
    return d;
  }

  private static long[] prepend(long first, long[] dims) {
    long[] d = new long[dims.length + 1];
    d[0] = first;
    System.arraycopy(dims, 0, d, 1, dims.length);
    return d;
  }

  private static String describe(long[] shape) {
    if (shape == null) {
      return "<unknown>";
    }
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ",").append(shape[i] == -1 ? "?" : String.valueOf(shape[i]));
    }
    return b.append(']').toString();
  }

  private static void out(OpContext ctx, int i, TensorList l) {
    ctx.output(i, Tensor.of(DType.VARIANT, Shape.scalar(), new Object[] {l}));
  }

  private static TensorList list(OpContext ctx, int i) {
    Tensor h = ctx.input(i);
    if (h.dtype() == DType.VARIANT && h.size() == 1 && h.objects()[0] instanceof TensorList l) {
      return l;
    }
    throw new KernelException("input " + i + " must be a TensorList (a variant made by a TensorList op), got "
        + h.dtype() + h.shape());
  }
}
