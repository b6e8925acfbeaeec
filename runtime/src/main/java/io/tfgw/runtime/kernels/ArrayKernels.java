package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/** Graph plumbing and data movement: constants, identities, placeholders, shapes, reshaping and indexing ops. */
final class ArrayKernels {
  private ArrayKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("Const", ctx -> ctx.output(0, ctx.cachedAttrTensor("value")));
    // these forward their input's buffer in TF: an alias of a TF1 variable stays one (see Variable)
    OpKernel identity = ctx -> ctx.forward(0, 0);
    for (String op : List.of("Identity", "StopGradient", "PreventGradient", "LoopCond", "PlaceholderWithDefault")) {
      r.accept(op, identity);
    }
    // these copy a buffer that is shared (a variable's): they read the value of the moment they run
    OpKernel copy = ctx -> ctx.output(0, ctx.input(0));
    r.accept("Snapshot", copy);
    r.accept("DeepCopy", copy);
    r.accept("RefIdentity", ctx -> ctx.outputRaw(0, ctx.rawInput(0)));
    OpKernel checkNumerics = ctx -> {
      Tensor x = ctx.input(0);
      for (int i = 0; i < x.size(); i++) {
        double v = x.getDouble(i);
        if (!Double.isFinite(v)) {
          throw new KernelException(ctx.attrString("message", "") + " : Tensor had " + (Double.isNaN(v) ? "NaN"
              : "Inf") + " values");
        }
      }
      ctx.forward(0, 0);
    };
    r.accept("CheckNumerics", checkNumerics);
    r.accept("CheckNumericsV2", checkNumerics);
    r.accept("IdentityN", ctx -> {
      for (int i = 0; i < ctx.numInputs(); i++) {
        ctx.forward(i, i);
      }
    });
    r.accept("NoOp", ctx -> { });
    r.accept("ControlTrigger", ctx -> { });
    r.accept("Placeholder", ArrayKernels::placeholder);
    r.accept("PlaceholderV2", ArrayKernels::placeholder);
    r.accept("EnsureShape", ctx -> {
      Tensor x = ctx.input(0);
      long[] want = ctx.attrShape("shape");
      if (want != null && !compatible(x.dims(), want)) {
        throw new KernelException("Shape of tensor " + x.shape() + " is not compatible with expected shape "
            + Arrays.toString(want));
      }
      ctx.forward(0, 0);
    });
    r.accept("Switch", ctx -> {
      boolean pred = ctx.input(1).bools()[0];
      ctx.outputDead(pred ? 0 : 1);
      ctx.forward(0, pred ? 1 : 0);
    });
    r.accept("RefSwitch", ctx -> {
      boolean pred = ctx.input(1).bools()[0];
      ctx.outputDead(pred ? 0 : 1);
      ctx.outputRaw(pred ? 1 : 0, ctx.rawInput(0));
    });
    r.accept("Assert", ctx -> {
      if (!ctx.input(0).bools()[0]) {
        StringBuilder msg = new StringBuilder("assertion failed:");
        for (int i = 1; i < ctx.numInputs(); i++) {
          msg.append(' ').append(ctx.input(i));
        }
        throw new KernelException(msg.toString());
      }
    });

    r.accept("Shape", ctx -> ctx.output(0, shapeTensor(ctx.input(0).dims(), ctx.attrType("out_type", DType.INT32))));
    r.accept("ShapeN", ctx -> {
      DType t = ctx.attrType("out_type", DType.INT32);
      for (int i = 0; i < ctx.numInputs(); i++) {
        ctx.output(i, shapeTensor(ctx.input(i).dims(), t));
      }
    });
    r.accept("Size", ctx -> {
      long n = ctx.input(0).size();
      ctx.output(0, ctx.attrType("out_type", DType.INT32) == DType.INT64 ? Tensor.scalar(n) : Tensor.scalar((int) n));
    });
    r.accept("Rank", ctx -> ctx.output(0, Tensor.scalar(ctx.input(0).rank())));
    r.accept("Reshape", ctx -> ctx.forward(0, 0, reshape(ctx.input(0), ctx.input(1).toLongs()).shape()));
    r.accept("Squeeze", ArrayKernels::squeeze);
    r.accept("ExpandDims", ctx -> {
      Tensor x = ctx.input(0);
      int axis = (int) ctx.input(1).getLong(0);
      int rank = x.rank();
      if (axis < -rank - 1 || axis > rank) {
        throw new KernelException("Tried to expand dim index " + axis + " for tensor with " + rank + " dimensions.");
      }
      if (axis < 0) {
        axis += rank + 1;
      }
      long[] dims = x.dims();
      long[] out = new long[rank + 1];
      System.arraycopy(dims, 0, out, 0, axis);
      out[axis] = 1;
      System.arraycopy(dims, axis, out, axis + 1, rank - axis);
      ctx.forward(0, 0, Shape.of(out));
    });
    r.accept("Transpose", ctx -> ctx.output(0, transpose(ctx.input(0), ctx.input(1).toLongs())));
    r.accept("ConcatV2", ctx -> {
      int n = ctx.numInputs() - 1;
      ctx.output(0, concat(ctx.inputs(0, n), (int) ctx.input(n).getLong(0)));
    });
    r.accept("Concat", ctx -> ctx.output(0, concat(ctx.inputs(1, ctx.numInputs()), (int) ctx.input(0).getLong(0))));
    r.accept("Pack", ctx -> {
      List<Tensor> values = ctx.inputs(0, ctx.numInputs());
      Tensor first = values.get(0);
      int axis = (int) ctx.attrInt("axis", 0);
      int rank = first.rank();
      if (axis < -rank - 1 || axis > rank) {
        throw new KernelException("axis = " + axis + " not in [" + (-rank - 1) + ", " + (rank + 1) + ")");
      }
      if (axis < 0) {
        axis += rank + 1;
      }
      List<Tensor> expanded = new ArrayList<>();
      for (Tensor v : values) {
        if (!v.shape().equals(first.shape())) {
          throw new KernelException("Shapes of all inputs must match: values[0].shape = " + first.shape() + " != "
              + v.shape());
        }
        long[] dims = v.dims();
        long[] out = new long[rank + 1];
        System.arraycopy(dims, 0, out, 0, axis);
        out[axis] = 1;
        System.arraycopy(dims, axis, out, axis + 1, rank - axis);
        expanded.add(v.reshape(Shape.of(out)));
      }
      ctx.output(0, concat(expanded, axis));
    });
    r.accept("Unpack", ctx -> {
      Tensor x = ctx.input(0);
      int axis = normalizeAxis((int) ctx.attrInt("axis", 0), x.rank());
      int num = x.dim(axis);
      long[] sizes = new long[num];
      Arrays.fill(sizes, 1);
      List<Tensor> parts = split(x, axis, sizes);
      long[] dims = x.dims();
      long[] outDims = new long[dims.length - 1];
      for (int i = 0, j = 0; i < dims.length; i++) {
        if (i != axis) {
          outDims[j++] = dims[i];
        }
      }
      for (int i = 0; i < num; i++) {
        ctx.output(i, parts.get(i).reshape(Shape.of(outDims)));
      }
    });
    r.accept("Split", ctx -> {
      Tensor x = ctx.input(1);
      int axis = normalizeAxis((int) ctx.input(0).getLong(0), x.rank());
      int num = (int) ctx.attrInt("num_split");
      if (x.dim(axis) % num != 0) {
        throw new KernelException("Number of ways to split should evenly divide the split dimension, but got "
            + "split_dim " + axis + " (size = " + x.dim(axis) + ") and num_split " + num);
      }
      long[] sizes = new long[num];
      Arrays.fill(sizes, x.dim(axis) / num);
      List<Tensor> parts = split(x, axis, sizes);
      for (int i = 0; i < num; i++) {
        ctx.output(i, parts.get(i));
      }
    });
    r.accept("SplitV", ctx -> {
      Tensor x = ctx.input(0);
      long[] sizes = ctx.input(1).toLongs();
      int axis = normalizeAxis((int) ctx.input(2).getLong(0), x.rank());
      long known = 0;
      int unknown = -1;
      for (int i = 0; i < sizes.length; i++) {
        if (sizes[i] == -1) {
          unknown = i;
        } else {
          known += sizes[i];
        }
      }
      if (unknown >= 0) {
        sizes[unknown] = x.dim(axis) - known;
      }
      List<Tensor> parts = split(x, axis, sizes);
      for (int i = 0; i < parts.size(); i++) {
        ctx.output(i, parts.get(i));
      }
    });
    r.accept("Slice", ctx -> {
      Tensor x = ctx.input(0);
      long[] begin = ctx.input(1).toLongs();
      long[] size = ctx.input(2).toLongs();
      if (begin.length != x.rank() || size.length != x.rank()) {
        throw new KernelException("Expected begin and size arguments to be 1-D tensors of size " + x.rank());
      }
      int[] strides = new int[x.rank()];
      int[] inStrides = Strided.strides(x.dims());
      int offset = 0;
      long[] outDims = new long[x.rank()];
      for (int i = 0; i < x.rank(); i++) {
        long s = size[i] == -1 ? x.dim(i) - begin[i] : size[i];
        if (begin[i] < 0 || s < 0 || begin[i] + s > x.dim(i)) {
          throw new KernelException("Expected begin[" + i + "] in [0, " + x.dim(i) + "] and size[" + i + "] in [0, "
              + (x.dim(i) - begin[i]) + "], got " + begin[i] + " and " + size[i]);
        }
        outDims[i] = s;
        strides[i] = inStrides[i];
        offset += (int) begin[i] * inStrides[i];
      }
      ctx.output(0, strided(x, offset, strides, outDims));
    });
    r.accept("StridedSlice", ctx -> ctx.output(0, StridedSlice.apply(ctx, ctx.input(0), ctx.input(1).toLongs(),
        ctx.input(2).toLongs(), ctx.input(3).toLongs())));
    r.accept("Pad", ctx -> ctx.output(0, pad(ctx.input(0), ctx.input(1), null)));
    r.accept("PadV2", ctx -> ctx.output(0, pad(ctx.input(0), ctx.input(1), ctx.input(2))));
    r.accept("MirrorPad", ArrayKernels::mirrorPad);
    r.accept("Fill", ctx -> {
      Tensor value = ctx.input(1);
      if (value.size() != 1) {
        throw new KernelException("value must be a scalar, got shape " + value.shape());
      }
      ctx.output(0, broadcastTo(value.reshape(Shape.scalar()), ctx.input(0).toLongs()));
    });
    r.accept("ZerosLike", ctx -> ctx.output(0, Tensor.zeros(ctx.input(0).dtype(), ctx.input(0).shape())));
    r.accept("OnesLike", ctx -> {
      Tensor x = ctx.input(0);
      ctx.output(0, broadcastTo(Casts.cast(Tensor.scalar(1), x.dtype()), x.dims()));
    });
    r.accept("Tile", ctx -> ctx.output(0, tile(ctx.input(0), ctx.input(1).toLongs())));
    r.accept("BroadcastTo", ctx -> ctx.output(0, broadcastTo(ctx.input(0), ctx.input(1).toLongs())));
    r.accept("BroadcastArgs", ctx -> {
      long[] s = Broadcast.shape(ctx.input(0).toLongs(), ctx.input(1).toLongs());
      ctx.output(0, shapeTensor(s, ctx.input(0).dtype()));
    });
    r.accept("GatherV2", ctx -> ctx.output(0, gather(ctx.input(0), ctx.input(1),
        (int) ctx.input(2).getLong(0), (int) ctx.attrInt("batch_dims", 0))));
    r.accept("Gather", ctx -> ctx.output(0, gather(ctx.input(0), ctx.input(1), 0, 0)));
    r.accept("Range", ArrayKernels::range);
    r.accept("LinSpace", ArrayKernels::linSpace);
    r.accept("ReverseV2", ctx -> {
      Tensor x = ctx.input(0);
      boolean[] rev = new boolean[x.rank()];
      for (long a : ctx.input(1).toLongs()) {
        rev[normalizeAxis((int) a, x.rank())] = true;
      }
      ctx.output(0, reverse(x, rev));
    });
    r.accept("InvertPermutation", ctx -> {
      Tensor p = ctx.input(0);
      long[] perm = p.toLongs();
      long[] inv = new long[perm.length];
      for (int i = 0; i < perm.length; i++) {
        if (perm[i] < 0 || perm[i] >= perm.length) {
          throw new KernelException(perm[i] + " is not between 0 and " + perm.length);
        }
        inv[(int) perm[i]] = i;
      }
      ctx.output(0, Casts.cast(Tensor.ofLongs(new long[] {perm.length}, inv), p.dtype()));
    });
    r.accept("OneHot", ArrayKernels::oneHot);
    r.accept("Where", ArrayKernels::where);
    r.accept("Cumsum", ArrayKernels::cumsum);
    r.accept("TopKV2", ArrayKernels::topK);
    r.accept("MatrixBandPart", ArrayKernels::bandPart);
    r.accept("ReverseSequence", ArrayKernels::reverseSequence);
  }

  private static void placeholder(OpContext ctx) {
    String shape = "unknown";
    long[] dims = ctx.attrShape("shape");
    if (dims != null) {
      shape = Arrays.toString(dims).replace("-1", "?");
    }
    throw new KernelException("this is an input of the graph and must be fed (dtype "
        + (ctx.hasAttr("dtype") ? ctx.attrType("dtype") : "?") + ", shape " + shape + ")");
  }

  static boolean compatible(long[] dims, long[] want) {
    if (dims.length != want.length) {
      return false;
    }
    for (int i = 0; i < dims.length; i++) {
      if (want[i] >= 0 && want[i] != dims[i]) {
        return false;
      }
    }
    return true;
  }

  static int normalizeAxis(int axis, int rank) {
    if (axis < -rank || axis >= Math.max(rank, 1)) {
      throw new KernelException("axis " + axis + " is out of range for a tensor of rank " + rank);
    }
    return axis < 0 ? axis + rank : axis;
  }

  static Tensor shapeTensor(long[] dims, DType type) {
    if (type == DType.INT64) {
      return Tensor.ofLongs(new long[] {dims.length}, dims.clone());
    }
    int[] out = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = (int) dims[i];
    }
    return Tensor.ofInts(new long[] {dims.length}, out);
  }

  static Tensor reshape(Tensor x, long[] shape) {
    long known = 1;
    int unknown = -1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] == -1) {
        if (unknown >= 0) {
          throw new KernelException("only one input size may be -1, not both " + unknown + " and " + i);
        }
        unknown = i;
      } else if (shape[i] < 0) {
        throw new KernelException("size " + i + " must be non-negative, not " + shape[i]);
      } else {
        known *= shape[i];
      }
    }
    long[] out = shape.clone();
    if (unknown >= 0) {
      if (known == 0 || x.size() % known != 0) {
        throw new KernelException("Input to reshape is a tensor with " + x.size() + " values, but the requested "
            + "shape requires a multiple of " + known);
      }
      out[unknown] = x.size() / known;
    }
    Shape s = Shape.of(out);
    if (s.numElements() != x.size()) {
      throw new KernelException("Input to reshape is a tensor with " + x.size() + " values, but the requested shape "
          + "has " + s.numElements());
    }
    return x.reshape(s);
  }

  private static void squeeze(OpContext ctx) {
    Tensor x = ctx.input(0);
    long[] axes = ctx.attrInts("squeeze_dims", ctx.attrInts("axis", new long[0]));
    long[] dims = x.dims();
    boolean[] drop = new boolean[dims.length];
    if (axes.length == 0) {
      for (int i = 0; i < dims.length; i++) {
        drop[i] = dims[i] == 1;
      }
    } else {
      for (long a : axes) {
        int ax = normalizeAxis((int) a, dims.length);
        if (dims[ax] != 1) {
          throw new KernelException("Can not squeeze dim[" + ax + "], expected a dimension of 1, got " + dims[ax]);
        }
        drop[ax] = true;
      }
    }
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < dims.length; i++) {
      if (!drop[i]) {
        out.add(dims[i]);
      }
    }
    ctx.forward(0, 0, Shape.of(out));
  }

  /** A new tensor from x's elements at {@code offset + sum(idx[d] * strides[d])} for idx over outDims. */
  static Tensor strided(Tensor x, int offset, int[] strides, long[] outDims) {
    Shape shape = Shape.of(outDims);
    Object out = Tensor.allocate(x.dtype(), (int) shape.numElements());
    Strided.copy(x.array(), offset, strides, out, 0, Strided.ints(outDims));
    return Tensor.of(x.dtype(), shape, out);
  }

  static Tensor transpose(Tensor x, long[] perm) {
    int rank = x.rank();
    if (perm.length != rank) {
      throw new KernelException("transpose expects a vector of size " + rank + ". But input(1) is a vector of size "
          + perm.length);
    }
    int[] inStrides = Strided.strides(x.dims());
    int[] strides = new int[rank];
    long[] outDims = new long[rank];
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      int p = (int) perm[i];
      if (p < 0 || p >= rank || seen[p]) {
        throw new KernelException(Arrays.toString(perm) + " is not a valid permutation");
      }
      seen[p] = true;
      strides[i] = inStrides[p];
      outDims[i] = x.dim(p);
    }
    return strided(x, 0, strides, outDims);
  }

  static Tensor concat(List<Tensor> values, int axis) {
    Tensor first = values.get(0);
    int rank = first.rank();
    if (rank == 0) {
      throw new KernelException("Can't concatenate scalars (use tf.stack instead)");
    }
    axis = normalizeAxis(axis, rank);
    long[] outDims = first.dims();
    outDims[axis] = 0;
    for (Tensor v : values) {
      if (v.rank() != rank || v.dtype() != first.dtype()) {
        throw new KernelException("ConcatOp : Ranks and dtypes of all input tensors should match: shape[0] = "
            + first.shape() + " vs. " + v.shape());
      }
      for (int d = 0; d < rank; d++) {
        if (d != axis && v.dim(d) != first.dim(d)) {
          throw new KernelException("ConcatOp : Dimension " + d + " in both shapes must be equal: shape[0] = "
              + first.shape() + " vs. " + v.shape());
        }
      }
      outDims[axis] += v.dim(axis);
    }
    Shape shape = Shape.of(outDims);
    Object out = Tensor.allocate(first.dtype(), (int) shape.numElements());
    int outer = 1;
    for (int d = 0; d < axis; d++) {
      outer *= (int) outDims[d];
    }
    int pos = 0;
    for (int o = 0; o < outer; o++) {
      for (Tensor v : values) {
        int chunk = outer == 0 ? 0 : v.size() / outer;
        System.arraycopy(v.array(), o * chunk, out, pos, chunk);
        pos += chunk;
      }
    }
    return Tensor.of(first.dtype(), shape, out);
  }

  static List<Tensor> split(Tensor x, int axis, long[] sizes) {
    long total = 0;
    for (long s : sizes) {
      if (s < 0) {
        throw new KernelException("split sizes must be non-negative, got " + Arrays.toString(sizes));
      }
      total += s;
    }
    if (total != x.dim(axis)) {
      throw new KernelException("split sizes " + Arrays.toString(sizes) + " do not add up to dimension " + axis
          + " of " + x.shape());
    }
    int[] inStrides = Strided.strides(x.dims());
    List<Tensor> out = new ArrayList<>();
    int offset = 0;
    for (long s : sizes) {
      long[] dims = x.dims();
      dims[axis] = s;
      out.add(strided(x, offset, inStrides, dims));
      offset += (int) s * inStrides[axis];
    }
    return out;
  }

  static Tensor broadcastTo(Tensor x, long[] shape) {
    if (Arrays.equals(x.dims(), shape)) {
      return x;
    }
    long[] result = Broadcast.shape(x.dims(), shape);
    if (!Arrays.equals(result, shape)) {
      throw new KernelException("Unable to broadcast tensor of shape " + x.shape() + " to tensor of shape "
          + Arrays.toString(shape));
    }
    int r = shape.length;
    int[] inStrides = Strided.strides(x.dims());
    int[] strides = new int[r];
    int off = r - x.rank();
    for (int i = 0; i < r; i++) {
      strides[i] = i < off || x.dim(i - off) == 1 ? 0 : inStrides[i - off];
    }
    return strided(x, 0, strides, shape);
  }

  static Tensor tile(Tensor x, long[] multiples) {
    int rank = x.rank();
    if (multiples.length != rank) {
      throw new KernelException("Expected multiples argument to be a vector of length " + rank + " but got length "
          + multiples.length);
    }
    int[] inStrides = Strided.strides(x.dims());
    long[] dims2 = new long[2 * rank];
    int[] strides2 = new int[2 * rank];
    long[] outDims = new long[rank];
    for (int i = 0; i < rank; i++) {
      if (multiples[i] < 0) {
        throw new KernelException("Expected multiples[" + i + "] >= 0, but got " + multiples[i]);
      }
      dims2[2 * i] = multiples[i];
      dims2[2 * i + 1] = x.dim(i);
      strides2[2 * i] = 0;
      strides2[2 * i + 1] = inStrides[i];
      outDims[i] = multiples[i] * x.dim(i);
    }
    return strided(x, 0, strides2, dims2).reshape(Shape.of(outDims));
  }

  static Tensor reverse(Tensor x, boolean[] rev) {
    int[] inStrides = Strided.strides(x.dims());
    int[] strides = new int[x.rank()];
    int offset = 0;
    for (int i = 0; i < x.rank(); i++) {
      if (rev[i] && x.dim(i) > 0) {
        strides[i] = -inStrides[i];
        offset += (x.dim(i) - 1) * inStrides[i];
      } else {
        strides[i] = inStrides[i];
      }
    }
    return strided(x, offset, strides, x.dims());
  }

  static Tensor gather(Tensor params, Tensor indices, int axis, int batchDims) {
    int rank = params.rank();
    if (batchDims < 0) {
      batchDims += indices.rank();
    }
    axis = normalizeAxis(axis, rank);
    if (batchDims > axis || batchDims > indices.rank()) {
      throw new KernelException("batch_dims (" + batchDims + ") must be <= axis (" + axis + ") and the rank of "
          + "indices");
    }
    long[] pd = params.dims();
    long[] id = indices.dims();
    int batch = 1;
    for (int i = 0; i < batchDims; i++) {
      if (pd[i] != id[i]) {
        throw new KernelException("params.shape[" + i + "]: " + pd[i] + " should be equal to indices.shape[" + i
            + "]: " + id[i]);
      }
      batch *= (int) pd[i];
    }
    int outer = 1;
    for (int i = batchDims; i < axis; i++) {
      outer *= (int) pd[i];
    }
    int limit = (int) pd[axis];
    int inner = 1;
    for (int i = axis + 1; i < rank; i++) {
      inner *= (int) pd[i];
    }
    int nIdx = 1;
    for (int i = batchDims; i < id.length; i++) {
      nIdx *= (int) id[i];
    }
    List<Long> outDims = new ArrayList<>();
    for (int i = 0; i < axis; i++) {
      outDims.add(pd[i]);
    }
    for (int i = batchDims; i < id.length; i++) {
      outDims.add(id[i]);
    }
    for (int i = axis + 1; i < rank; i++) {
      outDims.add(pd[i]);
    }
    Shape shape = Shape.of(outDims);
    Object out = Tensor.allocate(params.dtype(), (int) shape.numElements());
    Object src = params.array();
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < outer; o++) {
        for (int j = 0; j < nIdx; j++) {
          long idx = indices.getLong(b * nIdx + j);
          if (idx < 0 || idx >= limit) {
            throw new KernelException("indices[" + (b * nIdx + j) + "] = " + idx + " is not in [0, " + limit + ")");
          }
          System.arraycopy(src, (int) (((long) (b * outer + o) * limit + idx) * inner), out,
              ((b * outer + o) * nIdx + j) * inner, inner);
        }
      }
    }
    return Tensor.of(params.dtype(), shape, out);
  }

  static Tensor pad(Tensor x, Tensor paddings, Tensor constant) {
    int rank = x.rank();
    if (paddings.rank() != 2 || paddings.dim(0) != rank || paddings.dim(1) != 2) {
      throw new KernelException("paddings must be a matrix with 2 columns and " + rank + " rows: "
          + paddings.shape());
    }
    long[] p = paddings.toLongs();
    long[] outDims = new long[rank];
    for (int i = 0; i < rank; i++) {
      if (p[2 * i] < 0 || p[2 * i + 1] < 0) {
        throw new KernelException("Paddings must be non-negative: " + p[2 * i] + " " + p[2 * i + 1]);
      }
      outDims[i] = x.dim(i) + p[2 * i] + p[2 * i + 1];
    }
    Tensor fillValue = constant == null ? Tensor.zeros(x.dtype(), Shape.scalar()) : constant;
    Tensor out = broadcastTo(fillValue.reshape(Shape.scalar()), outDims);
    if (out == fillValue || out.array() == fillValue.array()) {
      out = strided(out, 0, new int[rank], outDims);
    }
    int[] outStrides = Strided.strides(outDims);
    int offset = 0;
    for (int i = 0; i < rank; i++) {
      offset += (int) p[2 * i] * outStrides[i];
    }
    copyInto(x, out.array(), offset, outStrides);
    return out;
  }

  /** Copies all of x into dst at {@code offset + sum(idx[d] * dstStrides[d])}. */
  static void copyInto(Tensor x, Object dst, int offset, int[] dstStrides) {
    int rank = x.rank();
    if (x.size() == 0) {
      return;
    }
    if (rank == 0) {
      System.arraycopy(x.array(), 0, dst, offset, 1);
      return;
    }
    int inner = x.dim(rank - 1);
    int outer = x.size() / inner;
    int[] idx = new int[rank];
    int o = offset;
    for (int run = 0; run < outer; run++) {
      System.arraycopy(x.array(), run * inner, dst, o, inner);
      for (int d = rank - 2; d >= 0; d--) {
        idx[d]++;
        o += dstStrides[d];
        if (idx[d] < x.dim(d)) {
          break;
        }
        o -= dstStrides[d] * x.dim(d);
        idx[d] = 0;
      }
    }
  }

  private static void mirrorPad(OpContext ctx) {
    Tensor x = ctx.input(0);
    long[] p = ctx.input(1).toLongs();
    boolean reflect = ctx.attrString("mode", "REFLECT").equals("REFLECT");
    int rank = x.rank();
    Tensor cur = x;
    for (int d = 0; d < rank; d++) {
      int before = (int) p[2 * d];
      int after = (int) p[2 * d + 1];
      int n = cur.dim(d);
      int shift = reflect ? 1 : 0;
      if (before > n - shift || after > n - shift) {
        throw new KernelException("paddings must be no greater than the dimension size: " + before + ", " + after
            + " greater than " + (n - shift));
      }
      List<Tensor> parts = new ArrayList<>();
      for (int i = before; i >= 1; i--) {
        parts.add(sliceAxis(cur, d, reflect ? i : i - 1));
      }
      parts.add(cur);
      for (int i = 1; i <= after; i++) {
        parts.add(sliceAxis(cur, d, reflect ? n - 1 - i : n - i));
      }
      cur = concat(parts, d);
    }
    ctx.output(0, cur);
  }

  private static Tensor sliceAxis(Tensor x, int axis, int index) {
    long[] sizes = new long[] {index, 1, x.dim(axis) - index - 1};
    return split(x, axis, sizes).get(1);
  }

  private static void range(OpContext ctx) {
    Tensor start = ctx.input(0);
    Tensor limit = ctx.input(1);
    Tensor delta = ctx.input(2);
    DType t = start.dtype();
    if (t == DType.FLOAT) {
      float s = start.floats()[0];
      float l = limit.floats()[0];
      float d = delta.floats()[0];
      checkRange(s, l, d);
      long size = (long) Math.ceil(Math.abs((l - s) / d));
      float[] out = new float[(int) size];
      for (int i = 0; i < size; i++) {
        out[i] = s + (float) i * d;
      }
      ctx.output(0, Tensor.ofFloats(new long[] {size}, out));
      return;
    }
    if (t == DType.DOUBLE) {
      double s = start.getDouble(0);
      double l = limit.getDouble(0);
      double d = delta.getDouble(0);
      checkRange(s, l, d);
      long size = (long) Math.ceil(Math.abs((l - s) / d));
      double[] out = new double[(int) size];
      for (int i = 0; i < size; i++) {
        out[i] = s + (double) i * d;
      }
      ctx.output(0, Tensor.ofDoubles(new long[] {size}, out));
      return;
    }
    long s = start.getLong(0);
    long l = limit.getLong(0);
    long d = delta.getLong(0);
    checkRange(s, l, d);
    long size = (Math.abs(l - s) + Math.abs(d) - 1) / Math.abs(d);
    long[] out = new long[(int) size];
    for (int i = 0; i < size; i++) {
      out[i] = s + i * d;
    }
    ctx.output(0, Casts.cast(Tensor.ofLongs(new long[] {size}, out), t));
  }

  private static void checkRange(double s, double l, double d) {
    if (d == 0) {
      throw new KernelException("Requires delta != 0: " + d);
    }
    if (d > 0 ? s > l : s < l) {
      throw new KernelException("Requires start " + (d > 0 ? "<=" : ">=") + " limit when delta " + (d > 0 ? ">" : "<")
          + " 0: " + s + "/" + l);
    }
  }

  private static void linSpace(OpContext ctx) {
    Tensor start = ctx.input(0);
    Tensor stop = ctx.input(1);
    long num = ctx.input(2).getLong(0);
    if (num <= 0) {
      throw new KernelException("Requires num > 0: " + num);
    }
    if (start.dtype() == DType.FLOAT) {
      float s = start.floats()[0];
      float e = stop.floats()[0];
      float[] out = new float[(int) num];
      if (num == 1) {
        out[0] = s;
      } else {
        float step = (e - s) / (num - 1);
        for (int i = 0; i < num - 1; i++) {
          out[i] = s + step * i;
        }
        out[(int) num - 1] = e;
      }
      ctx.output(0, Tensor.ofFloats(new long[] {num}, out));
    } else {
      double s = start.getDouble(0);
      double e = stop.getDouble(0);
      double[] out = new double[(int) num];
      if (num == 1) {
        out[0] = s;
      } else {
        double step = (e - s) / (num - 1);
        for (int i = 0; i < num - 1; i++) {
          out[i] = s + step * i;
        }
        out[(int) num - 1] = e;
      }
      ctx.output(0, Tensor.ofDoubles(new long[] {num}, out));
    }
  }

  private static void oneHot(OpContext ctx) {
    Tensor indices = ctx.input(0);
    int depth = (int) ctx.input(1).getLong(0);
    Tensor on = ctx.input(2);
    Tensor off = ctx.input(3);
    int axis = (int) ctx.attrInt("axis", -1);
    int rank = indices.rank();
    if (axis == -1) {
      axis = rank;
    }
    if (depth < 0) {
      throw new KernelException("depth must be non-negative, got: " + depth);
    }
    long[] id = indices.dims();
    long[] outDims = new long[rank + 1];
    System.arraycopy(id, 0, outDims, 0, axis);
    outDims[axis] = depth;
    System.arraycopy(id, axis, outDims, axis + 1, rank - axis);
    Tensor out = strided(off, 0, new int[rank + 1], outDims);
    int prefix = 1;
    for (int i = 0; i < axis; i++) {
      prefix *= (int) id[i];
    }
    int suffix = indices.size() / Math.max(prefix, 1);
    for (int p = 0; p < prefix; p++) {
      for (int s = 0; s < suffix; s++) {
        long idx = indices.getLong(p * suffix + s);
        if (idx >= 0 && idx < depth) {
          System.arraycopy(on.array(), 0, out.array(), (int) ((p * (long) depth + idx) * suffix + s), 1);
        }
      }
    }
    ctx.output(0, out);
  }

  private static void where(OpContext ctx) {
    Tensor x = ctx.input(0);
    int n = x.size();
    List<Integer> trues = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean v = x.dtype() == DType.BOOL ? x.bools()[i] : x.getDouble(i) != 0;
      if (v) {
        trues.add(i);
      }
    }
    int rank = x.rank();
    long[] out = new long[trues.size() * rank];
    int[] strides = Strided.strides(x.dims());
    for (int k = 0; k < trues.size(); k++) {
      int rem = trues.get(k);
      for (int d = 0; d < rank; d++) {
        out[k * rank + d] = rem / strides[d];
        rem %= strides[d];
      }
    }
    ctx.output(0, Tensor.ofLongs(new long[] {trues.size(), rank}, out));
  }

  private static void cumsum(OpContext ctx) {
    Tensor x = ctx.input(0);
    int axis = normalizeAxis((int) ctx.input(1).getLong(0), x.rank());
    boolean exclusive = ctx.attrBool("exclusive", false);
    boolean reverse = ctx.attrBool("reverse", false);
    int n = x.dim(axis);
    int inner = 1;
    for (int i = axis + 1; i < x.rank(); i++) {
      inner *= x.dim(i);
    }
    int outer = n == 0 || inner == 0 ? 0 : x.size() / (n * inner);
    Tensor xd = Casts.cast(x, x.dtype() == DType.FLOAT ? DType.FLOAT : DType.DOUBLE);
    boolean isFloat = x.dtype() == DType.FLOAT;
    Object out = Tensor.allocate(xd.dtype(), x.size());
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        float fa = 0;
        double da = 0;
        for (int k = 0; k < n; k++) {
          int kk = reverse ? n - 1 - k : k;
          int idx = (o * n + kk) * inner + in;
          if (isFloat) {
            float v = xd.floats()[idx];
            if (exclusive) {
              ((float[]) out)[idx] = fa;
              fa += v;
            } else {
              fa += v;
              ((float[]) out)[idx] = fa;
            }
          } else {
            double v = xd.doubles()[idx];
            if (exclusive) {
              ((double[]) out)[idx] = da;
              da += v;
            } else {
              da += v;
              ((double[]) out)[idx] = da;
            }
          }
        }
      }
    }
    ctx.output(0, Casts.cast(Tensor.of(xd.dtype(), x.shape(), out), x.dtype()));
  }

  /** The k largest entries of each last-dimension row, descending; ties keep the lower index first. */
  private static void topK(OpContext ctx) {
    Tensor x = ctx.input(0);
    int k = (int) ctx.input(1).getLong(0);
    int n = x.rank() == 0 ? 0 : x.dim(-1);
    if (x.rank() < 1 || k < 0 || k > n) {
      throw new KernelException("input must have at least 1 column and k (" + k + ") at most " + n);
    }
    int rows = n == 0 ? 0 : x.size() / n;
    long[] outDims = x.dims();
    outDims[outDims.length - 1] = k;
    Object values = Tensor.allocate(x.dtype(), rows * k);
    int[] indices = new int[rows * k];
    Integer[] order = new Integer[n];
    for (int r = 0; r < rows; r++) {
      int base = r * n;
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (p, q) -> {
        int c = Double.compare(x.getDouble(base + q), x.getDouble(base + p));
        return c != 0 ? c : Integer.compare(p, q);
      });
      for (int i = 0; i < k; i++) {
        indices[r * k + i] = order[i];
        System.arraycopy(x.array(), base + order[i], values, r * k + i, 1);
      }
    }
    ctx.output(0, Tensor.of(x.dtype(), Shape.of(outDims), values));
    ctx.output(1, Tensor.of(DType.INT32, Shape.of(outDims), indices));
  }

  private static void bandPart(OpContext ctx) {
    Tensor x = ctx.input(0);
    long lower = ctx.input(1).getLong(0);
    long upper = ctx.input(2).getLong(0);
    if (x.rank() < 2) {
      throw new KernelException("input must be at least 2-dim, received shape: " + x.shape());
    }
    int m = x.dim(-2);
    int n = x.dim(-1);
    Tensor zero = Tensor.zeros(x.dtype(), Shape.scalar());
    Object out = Tensor.allocate(x.dtype(), x.size());
    for (int i = 0; i < x.size(); i++) {
      int col = i % n;
      int row = (i / n) % m;
      boolean keep = (lower < 0 || row - col <= lower) && (upper < 0 || col - row <= upper);
      System.arraycopy(keep ? x.array() : zero.array(), keep ? i : 0, out, i, 1);
    }
    ctx.output(0, Tensor.of(x.dtype(), x.shape(), out));
  }

  private static void reverseSequence(OpContext ctx) {
    Tensor x = ctx.input(0);
    long[] lengths = ctx.input(1).toLongs();
    int seqDim = (int) ctx.attrInt("seq_dim");
    int batchDim = (int) ctx.attrInt("batch_dim", 0);
    if (lengths.length != x.dim(batchDim)) {
      throw new KernelException("len(seq_lengths) != input.dims(" + batchDim + "), (" + lengths.length + " vs. "
          + x.dim(batchDim) + ")");
    }
    int[] strides = Strided.strides(x.dims());
    Object out = Tensor.allocate(x.dtype(), x.size());
    int[] idx = new int[x.rank()];
    for (int i = 0; i < x.size(); i++) {
      int rem = i;
      for (int d = 0; d < idx.length; d++) {
        idx[d] = rem / strides[d];
        rem %= strides[d];
      }
      long len = lengths[idx[batchDim]];
      if (len < 0 || len > x.dim(seqDim)) {
        throw new KernelException("seq_lengths[" + idx[batchDim] + "] = " + len + " is out of range");
      }
      int src = i;
      if (idx[seqDim] < len) {
        src = i + (int) ((len - 1 - 2L * idx[seqDim]) * strides[seqDim]);
      }
      System.arraycopy(x.array(), src, out, i, 1);
    }
    ctx.output(0, Tensor.of(x.dtype(), x.shape(), out));
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
