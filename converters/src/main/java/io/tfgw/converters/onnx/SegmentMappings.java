package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Segment reductions (ScatterND with a reduction into a tensor of the reduction's identity) and the space/batch
 * reshuffles of atrous convolutions (Pad, Reshape, Transpose, Reshape; and back, with a Slice for the crops), as the
 * runtime's SegmentKernels compute them.
 */
final class SegmentMappings {
  private SegmentMappings() {}

  private enum Kind { SUM, PROD, MAX, MIN }

  static void register(Map<String, OpMapping> m) {
    for (Kind k : Kind.values()) {
      String name = k.name().charAt(0) + k.name().substring(1).toLowerCase();
      m.put("UnsortedSegment" + name, c -> segment(c, k, false));
      m.put("Segment" + name, c -> segment(c, k, true));
    }
    m.put("SpaceToBatchND", SegmentMappings::spaceToBatch);
    m.put("BatchToSpaceND", SegmentMappings::batchToSpace);
  }

  /**
   * {@code out[ids[i]] op= data[i]}: ScatterND (reduction add/mul from opset 16, max/min from 18) into a tensor
   * filled with the reduction's identity, one row larger than the output: ids TF skips (negative ones, in the
   * unsorted ops) are sent to that extra row, which is sliced off. Sorted segment ops give empty segments 0 (TF's
   * SegmentSum/Max/Min) or 1 (SegmentProd): the ids must then be constant, which also fixes the segment count.
   */
  private static void segment(MapContext c, Kind kind, boolean sorted) {
    String reduction = switch (kind) {
      case SUM -> "add";
      case PROD -> "mul";
      case MAX -> "max";
      case MIN -> "min";
    };
    int needed = kind == Kind.MAX || kind == Kind.MIN ? 18 : 16;
    if (c.opset < needed) {
      throw new UnsupportedInputException("ONNX's ScatterND reduction '" + reduction + "' needs opset " + needed
          + "; export with --opset " + needed + " or later");
    }
    DType dtype = c.dtype(0);
    if (dtype != DType.FLOAT && dtype != DType.DOUBLE && dtype != DType.INT32 && dtype != DType.INT64) {
      throw new UnsupportedInputException("segment reductions of " + dtype + " are not supported");
    }
    long[] xs = c.shape(0);
    long[] is = c.shape(1);
    if (xs == null || is == null || Arrays.stream(xs, is.length, xs.length).anyMatch(d -> d < 0)) {
      throw new UnsupportedInputException("the data's dimensions after the segment ids' must be known statically");
    }
    long segments;
    boolean[] empty = null;
    if (sorted) {
      long[] ids = c.requireLongs(1, "segment ids (a sorted segment op's output size depends on them)");
      segments = 0;
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || i > 0 && ids[i] < ids[i - 1]) {
          throw new UnsupportedInputException("its segment ids are not sorted non-negative numbers (TF fails on "
              + "them too)");
        }
        segments = Math.max(segments, ids[i] + 1);
      }
      empty = new boolean[(int) segments];
      Arrays.fill(empty, true);
      for (long id : ids) {
        empty[(int) id] = false;
      }
    } else {
      segments = c.requireLongs(2, "num_segments")[0];
    }
    long[] inner = Arrays.copyOfRange(xs, is.length, xs.length);
    long[] padded = new long[inner.length + 1];
    padded[0] = segments + 1;
    System.arraycopy(inner, 0, padded, 1, inner.length);
    long elements = 1;
    for (long d : padded) {
      elements *= d;
      if (d < 0 || elements > Integer.MAX_VALUE / 8) {
        throw new UnsupportedInputException("its output of " + Arrays.toString(padded) + " elements is too large to "
            + "initialise as a constant");
      }
    }
    int size = (int) elements;
    String init = c.constant(filled(dtype, padded, size, identity(kind, dtype)));
    String ids = c.asInt64(1);
    if (!sorted) {
      String negative = ElementwiseMappings.compare(c, "Less", ids, c.scalar(DType.INT64, 0));
      ids = c.emit("Where", List.of(negative, c.scalar(DType.INT64, segments), ids), DType.INT64, is);
    }
    long[] indexShape = Arrays.copyOf(is, is.length + 1);
    indexShape[is.length] = 1;
    String indices = c.withAxes("Unsqueeze", ids, new long[] {-1}, DType.INT64, indexShape, true, n -> { });
    String scattered = c.emit("ScatterND", List.of(init, indices, c.in(0)), dtype, padded,
        n -> n.attr("reduction", reduction));
    long[] out = padded.clone();
    out[0] = segments;
    String y = c.emit("Slice", List.of(scattered, c.int64s(0), c.int64s(segments), c.int64s(0)), dtype, out);
    if (empty != null && anyTrue(empty) && kind != Kind.SUM && kind != Kind.PROD) {
      // TF's sorted max/min give empty segments 0, not the reduction's identity
      long[] maskShape = new long[out.length];
      Arrays.fill(maskShape, 1);
      maskShape[0] = segments;
      boolean[] present = new boolean[empty.length];
      for (int i = 0; i < present.length; i++) {
        present[i] = !empty[i];
      }
      String mask = c.constant(Tensor.ofBools(maskShape, present));
      y = c.emit("Where", List.of(mask, y, c.scalar(dtype, 0)), dtype, out);
    }
    c.output(0, y);
  }

  private static boolean anyTrue(boolean[] v) {
    for (boolean b : v) {
      if (b) {
        return true;
      }
    }
    return false;
  }

  /** The value a segment with no rows holds in TF's unsorted ops: 0, 1, or the type's lowest/highest. */
  private static double identity(Kind kind, DType dtype) {
    return switch (kind) {
      case SUM -> 0;
      case PROD -> 1;
      case MAX -> dtype == DType.FLOAT ? -Float.MAX_VALUE : dtype == DType.DOUBLE ? -Double.MAX_VALUE
          : dtype == DType.INT32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
      case MIN -> dtype == DType.FLOAT ? Float.MAX_VALUE : dtype == DType.DOUBLE ? Double.MAX_VALUE
          : dtype == DType.INT32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
    };
  }

  private static Tensor filled(DType dtype, long[] dims, int size, double v) {
    return switch (dtype) {
      case FLOAT -> {
        float[] a = new float[size];
        Arrays.fill(a, (float) v);
        yield Tensor.ofFloats(dims, a);
      }
      case DOUBLE -> {
        double[] a = new double[size];
        Arrays.fill(a, v);
        yield Tensor.ofDoubles(dims, a);
      }
      case INT32 -> {
        int[] a = new int[size];
        Arrays.fill(a, (int) v);
        yield Tensor.ofInts(dims, a);
      }
      default -> {
        long[] a = new long[size];
        // Long.MIN_VALUE/MAX_VALUE are exact as doubles, so the cast gives them back
        Arrays.fill(a, (long) v);
        yield Tensor.ofLongs(dims, a);
      }
    };
  }

  /** The number of block dimensions, once the block, the paddings/crops and the input's rank agree. */
  private static int requireBlock(long[] block, long[] pairs, long[] xs) {
    int m = block.length;
    if (m == 0 || pairs.length != 2 * m || Arrays.stream(block).anyMatch(b -> b < 1 || b > Integer.MAX_VALUE)
        || xs != null && xs.length < m + 1) {
      throw new UnsupportedInputException("block_shape " + Arrays.toString(block) + " does not fit its paddings/crops "
          + Arrays.toString(pairs) + " and input");
    }
    return m;
  }

  /**
   * TF's SpaceToBatchND: pad the M block dimensions, split each into (size / block, block), move the blocks in
   * front of the batch, and merge them into it: {@code [b1..bM * B, p1/b1, .., pM/bM, rest]}.
   */
  private static void spaceToBatch(MapContext c) {
    long[] block = c.requireLongs(1, "block_shape");
    long[] pads = c.requireLongs(2, "paddings");
    long[] xs = c.shape(0);
    int m = requireBlock(block, pads, xs);
    if (xs == null || Arrays.stream(xs, 1, xs.length).anyMatch(d -> d < 0)) {
      throw new UnsupportedInputException("every dimension but the batch must be known statically");
    }
    int rank = xs.length;
    long[] padsOnnx = new long[2 * rank];
    long[] ps = xs.clone();
    for (int i = 0; i < m; i++) {
      padsOnnx[1 + i] = pads[2 * i];
      padsOnnx[rank + 1 + i] = pads[2 * i + 1];
      ps[1 + i] = xs[1 + i] + pads[2 * i] + pads[2 * i + 1];
      if (ps[1 + i] % block[i] != 0) {
        throw new UnsupportedInputException("padded size " + ps[1 + i] + " is not a multiple of block " + block[i]);
      }
    }
    String x = c.in(0);
    if (Arrays.stream(pads).anyMatch(p -> p != 0)) {
      x = c.emit("Pad", List.of(x, c.int64s(padsOnnx)), c.dtype(0), ps, n -> n.attr("mode", "constant"));
    }
    // [B, p1/b1, b1, ..., pM/bM, bM, rest]; 0 copies the batch, whatever it is
    List<Long> split = new ArrayList<>(List.of(0L));
    for (int i = 0; i < m; i++) {
      split.add(ps[1 + i] / block[i]);
      split.add(block[i]);
    }
    for (int i = m + 1; i < rank; i++) {
      split.add(xs[i]);
    }
    long[] splitShape = split.stream().mapToLong(Long::longValue).toArray();
    long[] splitMeta = splitShape.clone();
    splitMeta[0] = xs[0];
    String r = c.emit("Reshape", List.of(x, c.int64s(splitShape)), c.dtype(0), splitMeta);
    // blocks first: [b1..bM, B, p1/b1..pM/bM, rest]
    int[] perm = new int[splitShape.length];
    int k = 0;
    for (int i = 0; i < m; i++) {
      perm[k++] = 2 + 2 * i;
    }
    perm[k++] = 0;
    for (int i = 0; i < m; i++) {
      perm[k++] = 1 + 2 * i;
    }
    for (int i = 1 + 2 * m; i < splitShape.length; i++) {
      perm[k++] = i;
    }
    String t = c.transpose(r, perm);
    long blocks = Arrays.stream(block).reduce(1, Math::multiplyExact);
    long[] out = new long[rank];
    out[0] = -1;
    for (int i = 0; i < m; i++) {
      out[1 + i] = ps[1 + i] / block[i];
    }
    System.arraycopy(xs, m + 1, out, m + 1, rank - m - 1);
    long[] outMeta = out.clone();
    outMeta[0] = xs[0] < 0 ? -1 : xs[0] * blocks;
    c.output(0, c.emit("Reshape", List.of(t, c.int64s(out)), c.dtype(0), outMeta));
  }

  /**
   * TF's BatchToSpaceND: split the batch into {@code [b1..bM, B]}, interleave each block with its dimension,
   * merge them ({@code [B, s1*b1, .., sM*bM, rest]}) and crop.
   */
  private static void batchToSpace(MapContext c) {
    long[] block = c.requireLongs(1, "block_shape");
    long[] crops = c.requireLongs(2, "crops");
    long[] xs = c.shape(0);
    int m = requireBlock(block, crops, xs);
    if (xs == null || Arrays.stream(xs, 1, xs.length).anyMatch(d -> d < 0)) {
      throw new UnsupportedInputException("every dimension but the batch must be known statically");
    }
    int rank = xs.length;
    long blocks = Arrays.stream(block).reduce(1, Math::multiplyExact);
    long batch = xs[0] < 0 ? -1 : xs[0] / blocks;
    long[] split = new long[rank + m];
    System.arraycopy(block, 0, split, 0, m);
    split[m] = -1;
    System.arraycopy(xs, 1, split, m + 1, rank - 1);
    long[] splitMeta = split.clone();
    splitMeta[m] = batch;
    String r = c.emit("Reshape", List.of(c.in(0), c.int64s(split)), c.dtype(0), splitMeta);
    // [B, s1, b1, ..., sM, bM, rest]
    int[] perm = new int[split.length];
    int k = 0;
    perm[k++] = m;
    for (int i = 0; i < m; i++) {
      perm[k++] = m + 1 + i;
      perm[k++] = i;
    }
    for (int i = 2 * m + 1; i < split.length; i++) {
      perm[k++] = i;
    }
    String t = c.transpose(r, perm);
    long[] merged = new long[rank];
    merged[0] = -1;
    for (int i = 0; i < m; i++) {
      merged[1 + i] = xs[1 + i] * block[i];
    }
    System.arraycopy(xs, m + 1, merged, m + 1, rank - m - 1);
    long[] mergedMeta = merged.clone();
    mergedMeta[0] = batch;
    String y = c.emit("Reshape", List.of(t, c.int64s(merged)), c.dtype(0), mergedMeta);
    if (Arrays.stream(crops).anyMatch(v -> v != 0)) {
      long[] starts = new long[m];
      long[] ends = new long[m];
      long[] axes = new long[m];
      long[] out = mergedMeta.clone();
      for (int i = 0; i < m; i++) {
        starts[i] = crops[2 * i];
        ends[i] = merged[1 + i] - crops[2 * i + 1];
        axes[i] = 1 + i;
        out[1 + i] = ends[i] - starts[i];
      }
      y = c.emit("Slice", List.of(y, c.int64s(starts), c.int64s(ends), c.int64s(axes)), c.dtype(0), out);
    }
    c.output(0, y);
  }
}
