package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Data movement: reshapes, slices, gathers, concatenation, padding, tiling, shapes and fills. */
final class ArrayMappings {
  private ArrayMappings() {}

  static void register(Map<String, OpMapping> m) {
    m.put("Reshape", ArrayMappings::reshape);
    m.put("Squeeze", ArrayMappings::squeeze);
    m.put("ExpandDims", c -> {
      long axis = c.requireLongs(1, "axis")[0];
      long[] xs = c.shape(0);
      long[] ys = null;
      if (xs != null) {
        int a = Shapes.normAxis(axis, xs.length + 1);
        ys = new long[xs.length + 1];
        for (int i = 0, j = 0; i < ys.length; i++) {
          ys[i] = i == a ? 1 : xs[j++];
        }
      }
      c.output(0, c.withAxes("Unsqueeze", c.in(0), new long[] {axis}, c.dtype(0), ys, true, n -> { }));
    });
    m.put("Shape", c -> {
      long[] xs = c.shape(0);
      DType out = c.attrType("out_type") == null ? DType.INT32 : c.attrType("out_type");
      String s = c.emit("Shape", List.of(c.in(0)), DType.INT64, new long[] {xs == null ? -1 : xs.length});
      c.output(0, c.cast(s, out));
    });
    m.put("Size", c -> {
      DType out = c.attrType("out_type") == null ? DType.INT32 : c.attrType("out_type");
      c.output(0, c.cast(c.emit("Size", List.of(c.in(0)), DType.INT64, new long[0]), out));
    });
    m.put("ShapeN", c -> {
      for (int i = 0; i < c.inputCount(); i++) {
        DType out = c.attrType("out_type") == null ? DType.INT32 : c.attrType("out_type");
        String shape = c.emit("Shape", List.of(c.in(i)), DType.INT64, new long[] {c.requireRank(i)});
        c.output(i, c.cast(shape, out));
      }
    });
    m.put("MatrixBandPart", ArrayMappings::matrixBandPart);
    m.put("LinSpace", c -> {
      // as TF's kernel: step = (stop - start) / (num - 1), element i = start + step * i (num 1: start alone)
      long num = c.requireLongs(2, "num")[0];
      DType t = c.dtype(0);
      String index = c.constant(t == DType.DOUBLE ? Tensor.ofDoubles(new long[] {num},
          java.util.stream.LongStream.range(0, num).mapToDouble(i -> i).toArray())
          : Tensor.ofFloats(new long[] {num}, toFloats(java.util.stream.LongStream.range(0, num).toArray())));
      String step = num == 1 ? c.scalar(t, 0) : ElementwiseMappings.binary(c, "Div",
          ElementwiseMappings.binary(c, "Sub", c.in(1), c.in(0)), c.scalar(t, num - 1));
      c.output(0, ElementwiseMappings.binary(c, "Add", c.in(0), ElementwiseMappings.binary(c, "Mul", index, step)));
    });
    m.put("Rank", c -> c.output(0, c.constant(Tensor.scalar(c.requireRank(0)))));
    m.put("Transpose", c -> {
      long[] perm = c.requireLongs(1, "permutation");
      int[] p = Arrays.stream(perm).mapToInt(x -> (int) x).toArray();
      c.output(0, c.transpose(c.in(0), p));
    });
    m.put("ConcatV2", c -> concat(c, 0, c.inputCount() - 1, c.requireLongs(c.inputCount() - 1, "axis")[0]));
    m.put("Concat", c -> concat(c, 1, c.inputCount(), c.requireLongs(0, "axis")[0]));
    m.put("Pack", ArrayMappings::pack);
    m.put("Unpack", ArrayMappings::unpack);
    m.put("Split", c -> split(c, 1, c.requireLongs(0, "axis")[0], (int) c.attrInt("num_split", 1), null));
    m.put("SplitV", c -> split(c, 0, c.requireLongs(2, "axis")[0], (int) c.attrInt("num_split", 1),
        c.requireLongs(1, "size_splits")));
    m.put("Slice", ArrayMappings::slice);
    m.put("StridedSlice", ArrayMappings::stridedSlice);
    for (String op : new String[] {"Pad", "PadV2", "MirrorPad"}) {
      m.put(op, ArrayMappings::pad);
    }
    m.put("Tile", c -> {
      long[] xs = c.shape(0);
      Tensor mult = c.constant(1);
      long[] ys = xs == null ? null : xs.clone();
      if (ys != null) {
        for (int i = 0; i < ys.length; i++) {
          ys[i] = mult == null || ys[i] < 0 ? -1 : ys[i] * mult.toLongs()[i];
        }
      }
      c.output(0, c.emit("Tile", List.of(c.in(0), c.asInt64(1)), c.dtype(0), ys));
    });
    m.put("Fill", c -> {
      Tensor dims = c.constant(0);
      long[] ys = dims == null ? null : dims.toLongs();
      c.output(0, c.emit("Expand", List.of(c.in(1), c.asInt64(0)), c.dtype(1), ys));
    });
    m.put("BroadcastTo", c -> {
      Tensor dims = c.constant(1);
      long[] ys = dims == null ? null : Shapes.broadcast(c.shape(0), dims.toLongs());
      c.output(0, c.emit("Expand", List.of(c.in(0), c.asInt64(1)), c.dtype(0), ys));
    });
    m.put("ZerosLike", c -> c.output(0, filledLike(c, 0)));
    m.put("OnesLike", c -> c.output(0, filledLike(c, 1)));
    for (String op : new String[] {"GatherV2", "Gather"}) {
      m.put(op, ArrayMappings::gather);
    }
    m.put("Range", c -> c.output(0, c.emit("Range", List.of(c.in(0), c.in(1), c.in(2)), c.dtype(0),
        new long[] {-1})));
    m.put("Where", c -> {
      int rank = c.requireRank(0);
      String nz = c.emit("NonZero", List.of(c.in(0)), DType.INT64, new long[] {rank, -1});
      c.output(0, c.emit("Transpose", List.of(nz), DType.INT64, new long[] {-1, rank},
          n -> n.attr("perm", new long[] {1, 0})));
    });
    m.put("OneHot", ArrayMappings::oneHot);
    m.put("Cumsum", c -> c.output(0, c.emit("CumSum", List.of(c.in(0), c.in(1)), c.dtype(0), c.shape(0),
        n -> n.attr("exclusive", c.attrBool("exclusive", false) ? 1L : 0L)
            .attr("reverse", c.attrBool("reverse", false) ? 1L : 0L))));
    m.put("ReverseV2", c -> {
      long[] axes = c.requireLongs(1, "axes");
      if (axes.length == 0) {
        c.output(0, c.in(0));
        return;
      }
      long[] starts = new long[axes.length];
      long[] ends = new long[axes.length];
      long[] steps = new long[axes.length];
      Arrays.fill(starts, -1);
      Arrays.fill(ends, Long.MIN_VALUE);
      Arrays.fill(steps, -1);
      c.output(0, c.emit("Slice", List.of(c.in(0), c.int64s(starts), c.int64s(ends), c.int64s(axes),
          c.int64s(steps)), c.dtype(0), c.shape(0)));
    });
    m.put("ReverseSequence", c -> {
      long seq = c.attrInt("seq_dim", 0);
      long batch = c.attrInt("batch_dim", 0);
      if (!((seq == 0 && batch == 1) || (seq == 1 && batch == 0))) {
        throw new UnsupportedInputException("ONNX ReverseSequence takes batch and time axes 0 and 1 only");
      }
      // TF leaves a sequence of length 0 as it is, which reversing 1 element also does (ONNX wants lengths >= 1)
      String lengths = ElementwiseMappings.binary(c, "Max", c.asInt64(1), c.constant(io.tfgw.runtime.Tensor.scalar(1L)));
      c.output(0, c.emit("ReverseSequence", List.of(c.in(0), lengths), c.dtype(0), c.shape(0),
          n -> n.attr("batch_axis", batch).attr("time_axis", seq)));
    });
  }

  private static void reshape(MapContext c) {
    Tensor shape = c.constant(1);
    long[] ys = null;
    if (shape != null) {
      ys = shape.toLongs();
      long n = Shapes.numElements(c.shape(0));
      int unknown = -1;
      long known = 1;
      for (int i = 0; i < ys.length; i++) {
        if (ys[i] == -1) {
          unknown = i;
        } else {
          known *= ys[i];
        }
      }
      if (unknown >= 0 && n >= 0 && known > 0) {
        ys[unknown] = n / known;
      }
    } else {
      // a shape computed at run time still has a static length (the output's rank; ONNX graph outputs need one),
      // and some elements may be known (a Pack of constants and a batch size read from a Shape)
      long[] ss = c.shape(1);
      Long[] known = c.knownElements(1);
      if (ss != null && ss.length == 1 && ss[0] >= 0) {
        ys = new long[(int) ss[0]];
        for (int i = 0; i < ys.length; i++) {
          ys[i] = known != null && known.length == ys.length && known[i] != null && known[i] > 0 ? known[i] : -1;
        }
      }
    }
    boolean zero = ys != null && Arrays.stream(ys).anyMatch(d -> d == 0);
    String s = c.asInt64(1);
    c.output(0, c.emit("Reshape", List.of(c.in(0), s), c.dtype(0), ys, n -> {
      if (zero) {
        n.attr("allowzero", 1L); // TF's 0 is an empty dimension, ONNX's default copies the input's
      }
    }));
  }

  private static void squeeze(MapContext c) {
    long[] dims = c.attrInts("squeeze_dims");
    long[] xs = c.shape(0);
    if (dims == null || dims.length == 0) {
      if (xs == null || Arrays.stream(xs).anyMatch(d -> d < 0)) {
        throw new UnsupportedInputException("Squeeze without squeeze_dims needs the input's shape known statically");
      }
      List<Long> ax = new ArrayList<>();
      for (int i = 0; i < xs.length; i++) {
        if (xs[i] == 1) {
          ax.add((long) i);
        }
      }
      dims = ax.stream().mapToLong(Long::longValue).toArray();
    }
    if (dims.length == 0) {
      c.output(0, c.in(0));
      return;
    }
    long[] ys = null;
    if (xs != null) {
      java.util.Set<Integer> drop = new java.util.HashSet<>();
      for (long d : dims) {
        drop.add(Shapes.normAxis(d, xs.length));
      }
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < xs.length; i++) {
        if (!drop.contains(i)) {
          out.add(xs[i]);
        }
      }
      ys = out.stream().mapToLong(Long::longValue).toArray();
    }
    c.output(0, c.withAxes("Squeeze", c.in(0), dims, c.dtype(0), ys, true, n -> { }));
  }

  private static void concat(MapContext c, int from, int to, long axis) {
    List<String> ins = new ArrayList<>();
    long[] ys = c.shape(from);
    for (int i = from; i < to; i++) {
      ins.add(c.in(i));
      long[] s = c.shape(i);
      if (ys != null && s != null && i > from) {
        int a = Shapes.normAxis(axis, ys.length);
        ys[a] = ys[a] < 0 || s[a] < 0 ? -1 : ys[a] + s[a];
      } else if (s == null) {
        ys = null;
      }
    }
    if (ins.size() == 1) {
      c.output(0, ins.get(0));
      return;
    }
    c.output(0, c.emit("Concat", ins, c.dtype(from), ys, n -> n.attr("axis", axis)));
  }

  private static void pack(MapContext c) {
    long axis = c.attrInt("axis", 0);
    long[] xs = c.shape(0);
    long[] us = null;
    if (xs != null) {
      int a = Shapes.normAxis(axis, xs.length + 1);
      us = new long[xs.length + 1];
      for (int i = 0, j = 0; i < us.length; i++) {
        us[i] = i == a ? 1 : xs[j++];
      }
    }
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < c.inputCount(); i++) {
      parts.add(c.withAxes("Unsqueeze", c.in(i), new long[] {axis}, c.dtype(i), us, true, n -> { }));
    }
    if (parts.size() == 1) {
      c.output(0, parts.get(0));
      return;
    }
    long[] ys = us == null ? null : us.clone();
    if (ys != null) {
      ys[Shapes.normAxis(axis, ys.length)] = parts.size();
    }
    String y = c.emit("Concat", parts, c.dtype(0), ys, n -> n.attr("axis", axis));
    if (xs != null && xs.length == 0) {
      // a vector of scalars: remember which elements are constant, for mappings that need only those
      Long[] known = new Long[c.inputCount()];
      for (int i = 0; i < known.length; i++) {
        Tensor t = c.constant(i);
        known[i] = t == null || t.dtype().isFloating() ? null : t.toLongs()[0];
      }
      c.g.knownElements.put(y, known);
    }
    c.output(0, y);
  }

  private static void unpack(MapContext c) {
    long axis = c.attrInt("axis", 0);
    int num = (int) c.attrInt("num", 1);
    long[] xs = c.shape(0);
    List<String> parts = splitInto(c, c.in(0), axis, num, null);
    long[] ys = null;
    if (xs != null) {
      int a = Shapes.normAxis(axis, xs.length);
      ys = new long[xs.length - 1];
      for (int i = 0, j = 0; i < xs.length; i++) {
        if (i != a) {
          ys[j++] = xs[i];
        }
      }
    }
    for (int i = 0; i < num; i++) {
      c.output(i, c.withAxes("Squeeze", parts.get(i), new long[] {axis}, c.dtype(0), ys, true, n -> { }));
    }
  }

  private static void split(MapContext c, int valueInput, long axis, int num, long[] sizes) {
    if (num == 1) {
      c.output(0, c.in(valueInput));
      return;
    }
    long[] xs = c.shape(valueInput);
    if (sizes != null) {
      int unknown = -1;
      long known = 0;
      for (int i = 0; i < sizes.length; i++) {
        if (sizes[i] < 0) {
          unknown = i;
        } else {
          known += sizes[i];
        }
      }
      if (unknown >= 0) {
        long dim = xs == null ? -1 : xs[Shapes.normAxis(axis, xs.length)];
        if (dim < 0) {
          throw new UnsupportedInputException("SplitV with a -1 size needs the split dimension known statically");
        }
        sizes = sizes.clone();
        sizes[unknown] = dim - known;
      }
    }
    List<String> parts = splitInto(c, c.in(valueInput), axis, num, sizes);
    for (int i = 0; i < num; i++) {
      c.output(i, parts.get(i));
    }
  }

  private static List<String> splitInto(MapContext c, String x, long axis, int num, long[] sizes) {
    OnnxGraph.Meta m = c.g.meta(x);
    long[][] shapes = new long[num][];
    DType[] types = new DType[num];
    for (int i = 0; i < num; i++) {
      types[i] = m.dtype();
      if (m.shape() != null) {
        long[] s = m.shape().clone();
        int a = Shapes.normAxis(axis, s.length);
        s[a] = sizes != null ? sizes[i] : s[a] < 0 ? -1 : s[a] / num;
        shapes[i] = s;
      }
    }
    List<String> ins = new ArrayList<>(List.of(x));
    if (sizes != null) {
      ins.add(c.int64s(sizes));
    }
    boolean numOutputs = sizes == null && c.opset >= 18;
    return c.emitN("Split", ins, num, types, shapes, n -> {
      n.attr("axis", axis);
      if (numOutputs) {
        n.attr("num_outputs", (long) num);
      }
    });
  }

  private static void slice(MapContext c) {
    long[] begin = c.requireLongs(1, "begin");
    long[] size = c.requireLongs(2, "size");
    long[] ends = new long[begin.length];
    long[] axes = new long[begin.length];
    long[] xs = c.shape(0);
    long[] ys = xs == null ? null : xs.clone();
    for (int i = 0; i < begin.length; i++) {
      ends[i] = size[i] < 0 ? Long.MAX_VALUE : begin[i] + size[i];
      axes[i] = i;
      if (ys != null) {
        ys[i] = size[i] >= 0 ? size[i] : xs[i] < 0 ? -1 : xs[i] - begin[i];
      }
    }
    c.output(0, c.emit("Slice", List.of(c.in(0), c.int64s(begin), c.int64s(ends), c.int64s(axes)), c.dtype(0), ys));
  }

  /** One dimension of a StridedSlice spec, after the ellipsis is expanded. */
  private record SliceDim(boolean newAxis, boolean full, long begin, long end, long stride, boolean beginMask,
      boolean endMask, boolean shrink) {}

  private static void stridedSlice(MapContext c) {
    long[] b = c.requireLongs(1, "begin");
    long[] e = c.requireLongs(2, "end");
    long[] s = c.requireLongs(3, "strides");
    long bm = c.attrInt("begin_mask", 0);
    long em = c.attrInt("end_mask", 0);
    long ellipsis = c.attrInt("ellipsis_mask", 0);
    long newAxis = c.attrInt("new_axis_mask", 0);
    long shrink = c.attrInt("shrink_axis_mask", 0);
    List<SliceDim> dims = new ArrayList<>();
    for (int i = 0; i < b.length; i++) {
      if ((ellipsis >> i & 1) != 0) {
        int rank = c.requireRank(0);
        int consuming = 0;
        for (int j = 0; j < b.length; j++) {
          if (j != i && (newAxis >> j & 1) == 0) {
            consuming++;
          }
        }
        for (int k = 0; k < rank - consuming; k++) {
          dims.add(new SliceDim(false, true, 0, 0, 1, true, true, false));
        }
        ellipsis = 0; // TF honours the first ellipsis only
      } else if ((newAxis >> i & 1) != 0) {
        dims.add(new SliceDim(true, false, 0, 0, 1, false, false, false));
      } else {
        dims.add(new SliceDim(false, false, b[i], e[i], s[i], (bm >> i & 1) != 0, (em >> i & 1) != 0,
            (shrink >> i & 1) != 0));
      }
    }
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> axes = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    List<Long> squeeze = new ArrayList<>();
    List<Long> unsqueeze = new ArrayList<>();
    long[] xs = c.shape(0);
    List<Long> outShape = new ArrayList<>();
    int ax = 0;
    int pos = 0;
    for (SliceDim d : dims) {
      if (d.newAxis()) {
        unsqueeze.add((long) pos++);
        outShape.add(1L);
        continue;
      }
      long dimSize = xs == null || ax >= xs.length ? -1 : xs[ax];
      if (d.full()) {
        outShape.add(dimSize);
        ax++;
        pos++;
        continue;
      }
      long start;
      long end;
      long step = d.stride();
      if (step == 0) {
        throw new UnsupportedInputException("a StridedSlice stride of 0 is invalid");
      }
      if (d.shrink()) {
        start = d.begin();
        end = start == -1 ? Long.MAX_VALUE : start + 1;
        step = 1;
        squeeze.add((long) ax);
      } else {
        start = d.beginMask() ? (step > 0 ? 0 : Long.MAX_VALUE) : d.begin();
        end = d.endMask() ? (step > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : d.end();
        outShape.add(sliceLength(dimSize, start, end, step));
        pos++;
      }
      if (!(start == 0 && end == Long.MAX_VALUE && step == 1)) {
        starts.add(start);
        ends.add(end);
        axes.add((long) ax);
        steps.add(step);
      }
      ax++;
    }
    long[] ys = null;
    if (xs != null) {
      for (int i = ax; i < xs.length; i++) {
        outShape.add(xs[i]);
      }
      ys = outShape.stream().mapToLong(Long::longValue).toArray();
    }
    String y = c.in(0);
    if (!axes.isEmpty()) {
      long[] sliced = null;
      if (xs != null) {
        sliced = xs.clone();
        for (int i = 0; i < axes.size(); i++) {
          int a = axes.get(i).intValue();
          sliced[a] = sliceLength(xs[a], starts.get(i), ends.get(i), steps.get(i));
        }
      }
      y = c.emit("Slice", List.of(y, c.int64s(toArray(starts)), c.int64s(toArray(ends)), c.int64s(toArray(axes)),
          c.int64s(toArray(steps))), c.dtype(0), sliced);
    }
    if (!squeeze.isEmpty()) {
      y = c.withAxes("Squeeze", y, toArray(squeeze), c.dtype(0), unsqueeze.isEmpty() ? ys : null, true, n -> { });
    }
    if (!unsqueeze.isEmpty()) {
      y = c.withAxes("Unsqueeze", y, toArray(unsqueeze), c.dtype(0), ys, true, n -> { });
    }
    if (y.equals(c.in(0))) {
      y = c.emit("Identity", List.of(y), c.dtype(0), c.shape(0));
    }
    c.output(0, y);
  }

  /** The length Python's slicing gives; -1 when the dimension is unknown. */
  static long sliceLength(long dim, long start, long end, long step) {
    if (dim < 0) {
      return -1;
    }
    long s;
    long e;
    if (step > 0) {
      s = start < 0 ? Math.max(0, start + dim) : Math.min(start, dim);
      e = end < 0 ? Math.max(0, end + dim) : Math.min(end, dim);
      return Math.max(0, (e - s + step - 1) / step);
    }
    s = start < 0 ? Math.max(-1, start + dim) : Math.min(start, dim - 1);
    e = end < 0 ? (end == Long.MIN_VALUE ? -1 : Math.max(-1, end + dim)) : Math.min(end, dim - 1);
    return Math.max(0, (s - e + (-step) - 1) / (-step));
  }

  private static long[] toArray(List<Long> l) {
    return l.stream().mapToLong(Long::longValue).toArray();
  }

  private static void pad(MapContext c) {
    Tensor p = c.requireConstant(1, "paddings");
    long[] flat = p.toLongs();
    int rank = flat.length / 2;
    long[] pads = new long[2 * rank];
    long[] xs = c.shape(0);
    long[] ys = xs == null ? null : xs.clone();
    for (int i = 0; i < rank; i++) {
      pads[i] = flat[2 * i];
      pads[rank + i] = flat[2 * i + 1];
      if (ys != null && ys[i] >= 0) {
        ys[i] += flat[2 * i] + flat[2 * i + 1];
      }
    }
    List<String> ins = new ArrayList<>(List.of(c.in(0), c.int64s(pads)));
    String mode = "constant";
    if (c.op().equals("PadV2")) {
      ins.add(c.in(2));
    } else if (c.op().equals("MirrorPad")) {
      String m = c.attrString("mode", "REFLECT");
      if (m.equals("SYMMETRIC")) {
        c.output(0, symmetricPad(c, flat));
        return;
      }
      if (!m.equals("REFLECT")) {
        throw new UnsupportedInputException("MirrorPad mode " + m + " is not supported");
      }
      mode = "reflect";
    }
    String md = mode;
    c.output(0, c.emit("Pad", ins, c.dtype(0), ys, n -> n.attr("mode", md)));
  }

  /**
   * MirrorPad SYMMETRIC (the edge repeated; ONNX Pad has no such mode up to opset 22): axis by axis, the first
   * {@code before} elements reversed, the input, the last {@code after} reversed, concatenated. Reversal is a Slice
   * with step -1 whose bounds count from the ends, so no dimension needs to be known; padding the axes one after the
   * other fills the corners as TF does.
   */
  private static String symmetricPad(MapContext c, long[] flat) {
    String x = c.in(0);
    long[] shape = c.shape(0);
    for (int axis = 0; axis < flat.length / 2; axis++) {
      long before = flat[2 * axis];
      long after = flat[2 * axis + 1];
      if (before == 0 && after == 0) {
        continue;
      }
      List<String> parts = new ArrayList<>();
      long[] s = shape == null ? null : shape.clone();
      if (before > 0) {
        long[] ps = partShape(s, axis, before);
        parts.add(c.emit("Slice", List.of(x, c.int64s(before - 1), c.int64s(Long.MIN_VALUE), c.int64s(axis),
            c.int64s(-1)), c.dtype(0), ps));
      }
      parts.add(x);
      if (after > 0) {
        long[] ps = partShape(s, axis, after);
        parts.add(c.emit("Slice", List.of(x, c.int64s(-1), c.int64s(-1 - after), c.int64s(axis), c.int64s(-1)),
            c.dtype(0), ps));
      }
      if (shape != null) {
        shape = shape.clone();
        shape[axis] = shape[axis] < 0 ? -1 : shape[axis] + before + after;
      }
      long a = axis;
      x = c.emit("Concat", parts, c.dtype(0), shape, n -> n.attr("axis", a));
    }
    return x;
  }

  private static long[] partShape(long[] s, int axis, long size) {
    if (s == null) {
      return null;
    }
    long[] p = s.clone();
    p[axis] = size;
    return p;
  }

  private static float[] toFloats(long[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = v[i];
    }
    return f;
  }

  /** MatrixBandPart with constant bounds over matrices of known size: a constant band mask and a Where. */
  private static void matrixBandPart(MapContext c) {
    long[] xs = c.shape(0);
    long lower = c.requireLongs(1, "num_lower")[0];
    long upper = c.requireLongs(2, "num_upper")[0];
    if (xs == null || xs.length < 2 || xs[xs.length - 2] < 0 || xs[xs.length - 1] < 0) {
      throw new UnsupportedInputException("the matrices' size must be known statically");
    }
    int rows = (int) xs[xs.length - 2];
    int cols = (int) xs[xs.length - 1];
    boolean[] band = new boolean[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        band[i * cols + j] = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper);
      }
    }
    String mask = c.constant(Tensor.ofBools(new long[] {rows, cols}, band));
    c.output(0, c.emit("Where", List.of(mask, c.in(0), c.scalar(c.dtype(0), 0)), c.dtype(0), xs));
  }

  private static String filledLike(MapContext c, double v) {
    String shape = c.emit("Shape", List.of(c.in(0)), DType.INT64, new long[] {c.rank(0)});
    Tensor value = switch (c.dtype(0)) {
      case FLOAT -> Tensor.ofFloats(new long[] {1}, (float) v);
      case DOUBLE -> Tensor.ofDoubles(new long[] {1}, v);
      case INT32 -> Tensor.ofInts(new long[] {1}, (int) v);
      case INT64 -> Tensor.ofLongs(new long[] {1}, (long) v);
      case BOOL -> Tensor.ofBools(new long[] {1}, v != 0);
      default -> throw new UnsupportedInputException("ZerosLike/OnesLike of " + c.dtype(0) + " is not supported");
    };
    io.tfgw.proto.onnx.TensorProto t = OnnxWriter.tensorProto("value", ConstValue.of(value));
    return c.emit("ConstantOfShape", List.of(shape), c.dtype(0), c.shape(0), n -> n.attrs.put("value",
        io.tfgw.proto.onnx.AttributeProto.newBuilder().setName("value")
            .setType(io.tfgw.proto.onnx.AttributeProto.AttributeType.TENSOR).setT(t).build()));
  }

  private static void gather(MapContext c) {
    long axis = c.op().equals("Gather") ? 0 : c.requireLongs(2, "axis")[0];
    if (c.attrInt("batch_dims", 0) != 0) {
      gatherBatched(c, axis, c.attrInt("batch_dims", 0));
      return;
    }
    long[] ps = c.shape(0);
    long[] is = c.shape(1);
    long[] ys = null;
    if (ps != null && is != null) {
      int a = Shapes.normAxis(axis, ps.length);
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < a; i++) {
        out.add(ps[i]);
      }
      for (long d : is) {
        out.add(d);
      }
      for (int i = a + 1; i < ps.length; i++) {
        out.add(ps[i]);
      }
      ys = toArray(out);
    }
    c.output(0, c.emit("Gather", List.of(c.in(0), c.in(1)), c.dtype(0), ys, n -> n.attr("axis", axis)));
  }

  /**
   * GatherV2 with batch_dims b: ONNX GatherND with batch_dims b on the indices with a trailing axis of 1, which
   * gathers along the first axis after the batch ones; for a later axis the params' axis is moved there first, and
   * the gathered dimensions moved back after the params' dimensions between the batch and the axis.
   */
  private static void gatherBatched(MapContext c, long axisAttr, long batchAttr) {
    int pr = c.requireRank(0);
    int ir = c.requireRank(1);
    int b = (int) (batchAttr < 0 ? batchAttr + ir : batchAttr);
    int axis = Shapes.normAxis(axisAttr, pr);
    if (b < 0 || b > ir || axis < b) {
      throw new UnsupportedInputException("batch_dims " + batchAttr + " with axis " + axisAttr + " is invalid");
    }
    long[] ps = c.shape(0);
    long[] is = c.shape(1);
    String params = c.in(0);
    int[] perm = new int[pr];
    int k = 0;
    for (int i = 0; i < b; i++) {
      perm[k++] = i;
    }
    perm[k++] = axis;
    for (int i = b; i < pr; i++) {
      if (i != axis) {
        perm[k++] = i;
      }
    }
    if (axis != b) {
      params = c.transpose(params, perm);
    }
    long[] moved = MapContext.permuted(ps, perm);
    long[] idxShape = Arrays.copyOf(is, ir + 1);
    idxShape[ir] = 1;
    String indices = c.withAxes("Unsqueeze", c.asInt64(1), new long[] {-1}, DType.INT64, idxShape, true, n -> { });
    // [batch, indices' own dims, params' dims after the batch but the axis]
    List<Long> gathered = new ArrayList<>();
    for (int i = 0; i < ir; i++) {
      gathered.add(is[i]);
    }
    for (int i = b + 1; i < pr; i++) {
      gathered.add(moved[i]);
    }
    long[] gs = toArray(gathered);
    long bd = b;
    String y = c.emit("GatherND", List.of(params, indices), c.dtype(0), gs, n -> n.attr("batch_dims", bd));
    if (axis != b) {
      // the params' dims between the batch and the axis go back in front of the gathered ones
      int between = axis - b;
      int own = ir - b;
      int[] back = new int[gs.length];
      int j = 0;
      for (int i = 0; i < b; i++) {
        back[j++] = i;
      }
      for (int i = 0; i < between; i++) {
        back[j++] = b + own + i;
      }
      for (int i = 0; i < own; i++) {
        back[j++] = b + i;
      }
      for (int i = b + own + between; i < gs.length; i++) {
        back[j++] = i;
      }
      y = c.transpose(y, back);
    }
    c.output(0, y);
  }

  private static void oneHot(MapContext c) {
    long axis = c.attrInt("axis", -1);
    // ONNX Runtime implements OneHot for int64 indices with int64 depth (float/int64 values) or float depth
    String indices = c.cast(c.in(0), DType.INT64);
    DType it = DType.INT64;
    String depth = c.cast(c.in(1), DType.INT64);
    // TF gives all-off rows for negative indices; ONNX counts them from the end, so move them out of range
    String neg = ElementwiseMappings.compare(c, "Less", indices, c.scalar(it, 0));
    String idx = c.emit("Where", List.of(neg, depth, indices), it, c.shape(0));
    DType valueType = c.dtype(2);
    String depthInput = valueType == DType.FLOAT || valueType == DType.INT64 ? depth : c.cast(depth, DType.FLOAT);
    String off = c.emit("Reshape", List.of(c.in(3), c.int64s(1)), c.dtype(2), new long[] {1});
    String on = c.emit("Reshape", List.of(c.in(2), c.int64s(1)), c.dtype(2), new long[] {1});
    String values = c.emit("Concat", List.of(off, on), c.dtype(2), new long[] {2}, n -> n.attr("axis", 0L));
    long[] xs = c.shape(0);
    Tensor d = c.constant(1);
    long[] ys = null;
    if (xs != null) {
      int a = Shapes.normAxis(axis, xs.length + 1);
      ys = new long[xs.length + 1];
      for (int i = 0, j = 0; i < ys.length; i++) {
        ys[i] = i == a ? (d == null ? -1 : d.toLongs()[0]) : xs[j++];
      }
    }
    c.output(0, c.emit("OneHot", List.of(idx, depthInput, values), c.dtype(2), ys, n -> n.attr("axis", axis)));
  }
}
