package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Neural-network TF ops: matrix products, convolutions and pooling (NHWC sources get a Transpose to NCHW before and
 * back after; the optimizer cancels the pairs between consecutive ops), batch norm, softmax, reductions, resize.
 */
final class NnMappings {
  static final int[] TO_NCHW = {0, 3, 1, 2};
  static final int[] TO_NHWC = {0, 2, 3, 1};
  /** HWIO filters to ONNX's OIHW. */
  static final int[] FILTER_TO_OIHW = {3, 2, 0, 1};

  private NnMappings() {}

  static void register(Map<String, OpMapping> m) {
    m.put("MatMul", NnMappings::matMul);
    for (String op : new String[] {"BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"}) {
      m.put(op, NnMappings::batchMatMul);
    }
    m.put("Einsum", c -> {
      List<String> ins = new ArrayList<>();
      for (int i = 0; i < c.inputCount(); i++) {
        ins.add(c.in(i));
      }
      String eq = c.attrString("equation", "");
      c.output(0, c.emit("Einsum", ins, c.dtype(0), einsumShape(c, eq), n -> n.attr("equation", eq)));
    });
    m.put("Conv2D", c -> conv(c, false));
    m.put("DepthwiseConv2dNative", c -> conv(c, true));
    m.put("Conv2DBackpropInput", NnMappings::convTranspose);
    m.put("MaxPool", c -> pool(c, "MaxPool", c.attrInts("ksize"), c.attrInts("strides")));
    m.put("MaxPoolV2", c -> pool(c, "MaxPool", c.requireLongs(1, "ksize"), c.requireLongs(2, "strides")));
    m.put("AvgPool", c -> pool(c, "AveragePool", c.attrInts("ksize"), c.attrInts("strides")));
    for (String op : new String[] {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
      m.put(op, NnMappings::batchNorm);
    }
    m.put("BiasAdd", NnMappings::biasAdd);
    m.put("Softmax", c -> c.output(0, c.emit("Softmax", List.of(c.in(0)), c.dtype(0), c.shape(0),
        n -> n.attr("axis", -1L))));
    m.put("LogSoftmax", c -> c.output(0, c.emit("LogSoftmax", List.of(c.in(0)), c.dtype(0), c.shape(0),
        n -> n.attr("axis", -1L))));
    m.put("LRN", NnMappings::lrn);
    m.put("ResizeBilinear", c -> resize(c, "linear"));
    m.put("ResizeNearestNeighbor", c -> resize(c, "nearest"));
    m.put("TopKV2", NnMappings::topK);
    for (String[] p : new String[][] {{"Sum", "ReduceSum"}, {"Mean", "ReduceMean"}, {"Max", "ReduceMax"},
        {"Min", "ReduceMin"}, {"Prod", "ReduceProd"}, {"All", "ReduceMin"}, {"Any", "ReduceMax"}}) {
      m.put(p[0], c -> reduce(c, p[1]));
    }
    m.put("ArgMax", c -> argReduce(c, "ArgMax"));
    m.put("ArgMin", c -> argReduce(c, "ArgMin"));
  }

  private static void matMul(MapContext c) {
    String a = c.in(0);
    String b = c.in(1);
    if (c.attrBool("transpose_a", false)) {
      a = c.transpose(a, new int[] {1, 0});
    }
    if (c.attrBool("transpose_b", false)) {
      b = c.transpose(b, new int[] {1, 0});
    }
    long[] sa = c.g.meta(a).shape();
    long[] sb = c.g.meta(b).shape();
    long[] shape = {sa == null ? -1 : sa[0], sb == null ? -1 : sb[1]};
    c.output(0, c.emit("MatMul", List.of(a, b), c.dtype(0), shape));
  }

  private static void batchMatMul(MapContext c) {
    String a = c.in(0);
    String b = c.in(1);
    if (c.attrBool("adj_x", false)) {
      a = c.transpose(a, swapLast(c.requireRank(0)));
    }
    if (c.attrBool("adj_y", false)) {
      b = c.transpose(b, swapLast(c.requireRank(1)));
    }
    long[] sa = c.g.meta(a).shape();
    long[] sb = c.g.meta(b).shape();
    long[] shape = null;
    if (sa != null && sb != null) {
      long[] batch = Shapes.broadcast(java.util.Arrays.copyOf(sa, sa.length - 2), java.util.Arrays.copyOf(sb,
          sb.length - 2));
      shape = java.util.Arrays.copyOf(batch, batch.length + 2);
      shape[batch.length] = sa[sa.length - 2];
      shape[batch.length + 1] = sb[sb.length - 1];
    }
    DType out = c.attrType("Tout") != null ? c.attrType("Tout") : c.dtype(0);
    c.output(0, c.emit("MatMul", List.of(a, b), out, shape));
  }

  private static int[] swapLast(int rank) {
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    p[rank - 2] = rank - 1;
    p[rank - 1] = rank - 2;
    return p;
  }

  private static long[] einsumShape(MapContext c, String eq) {
    if (!eq.contains("->")) {
      return null;
    }
    String[] sides = eq.replace(" ", "").split("->", -1);
    String[] ins = sides[0].split(",");
    Map<Character, Long> dims = new java.util.HashMap<>();
    long[] ellipsis = new long[0];
    for (int i = 0; i < ins.length; i++) {
      long[] s = c.shape(i);
      if (s == null) {
        return null;
      }
      String letters = ins[i].replace("...", "");
      int ell = s.length - letters.length();
      int at = ins[i].indexOf("...");
      if (at >= 0) {
        ellipsis = Shapes.broadcast(ellipsis, java.util.Arrays.copyOfRange(s, at, at + ell));
      } else if (ell != 0) {
        return null;
      }
      for (int k = 0, d = 0; k < ins[i].length(); k++) {
        char ch = ins[i].charAt(k);
        if (ch == '.') {
          k += 2;
          d += ell;
          continue;
        }
        dims.merge(ch, s[d++], Math::max);
      }
    }
    List<Long> out = new ArrayList<>();
    String outSide = sides[1];
    for (int k = 0; k < outSide.length(); k++) {
      char ch = outSide.charAt(k);
      if (ch == '.') {
        k += 2;
        for (long e : ellipsis) {
          out.add(e);
        }
        continue;
      }
      out.add(dims.getOrDefault(ch, -1L));
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /** Strides, dilations or ksize of an NHWC/NCHW attribute as {h, w}. */
  private static long[] spatial(long[] v, boolean nchw) {
    if (v == null || v.length == 0) {
      return new long[] {1, 1};
    }
    return nchw ? new long[] {v[2], v[3]} : new long[] {v[1], v[2]};
  }

  private static boolean isNchw(MapContext c) {
    String f = c.attrString("data_format", "NHWC");
    if (!f.equals("NHWC") && !f.equals("NCHW")) {
      throw new UnsupportedInputException("data_format " + f + " is not supported");
    }
    return f.equals("NCHW");
  }

  /** Explicit ONNX pads {top, left, bottom, right}, or null when SAME padding needs unknown input sizes. */
  private static long[] pads(MapContext c, long[] inHw, long[] k, long[] strides, long[] dilations, boolean nchw) {
    String padding = c.attrString("padding", "VALID");
    switch (padding) {
      case "VALID":
        return new long[] {0, 0, 0, 0};
      case "SAME": {
        // With stride 1 TF's SAME pads, (k - 1) * dilation in all, do not depend on the size, so they are written
        // even when the size is known only at run time: ONNX Runtime refuses auto_pad SAME_UPPER with dilations,
        // and TF allows dilations only with stride 1. Other strides on unknown sizes get SAME_UPPER (TF's rule).
        long hIn = inHw[0] >= 0 ? inHw[0] : strides[0] == 1 ? 1 : -1;
        long wIn = inHw[1] >= 0 ? inHw[1] : strides[1] == 1 ? 1 : -1;
        if (hIn < 0 || wIn < 0) {
          return null;
        }
        long[] h = Shapes.samePads(hIn, k[0], strides[0], dilations[0]);
        long[] w = Shapes.samePads(wIn, k[1], strides[1], dilations[1]);
        return new long[] {h[0], w[0], h[1], w[1]};
      }
      case "EXPLICIT": {
        long[] e = c.attrInts("explicit_paddings");
        int hi = nchw ? 2 : 1;
        return new long[] {e[2 * hi], e[2 * hi + 2], e[2 * hi + 1], e[2 * hi + 3]};
      }
      default:
        throw new UnsupportedInputException("padding " + padding + " is not supported");
    }
  }

  private static void setPads(OnnxNode n, long[] pads) {
    if (pads == null) {
      n.attr("auto_pad", "SAME_UPPER");
    } else {
      n.attr("pads", pads);
    }
  }

  private static long[] hw(long[] shape, boolean nchw) {
    if (shape == null) {
      return new long[] {-1, -1};
    }
    return nchw ? new long[] {shape[2], shape[3]} : new long[] {shape[1], shape[2]};
  }

  private static long[] nchwShape(long[] s, boolean nchw) {
    if (s == null) {
      return Shapes.unknown(4);
    }
    return nchw ? s.clone() : MapContext.permuted(s, TO_NCHW);
  }

  private static void conv(MapContext c, boolean depthwise) {
    boolean nchw = isNchw(c);
    long[] xs = c.shape(0);
    long[] fs = c.shape(1);
    if (fs == null || fs.length != 4) {
      throw new UnsupportedInputException("the filter's shape is not known statically");
    }
    long[] strides = spatial(c.attrInts("strides"), nchw);
    long[] dil = spatial(c.attrInts("dilations"), nchw);
    long[] k = {fs[0], fs[1]};
    long[] pads = pads(c, hw(xs, nchw), k, strides, dil, nchw);
    String x = nchw ? c.in(0) : c.transpose(c.in(0), TO_NCHW);
    String w = c.in(1);
    long group = 1;
    long outChannels = fs[3];
    if (depthwise) {
      long[] flat = {fs[0], fs[1], 1, fs[2] * fs[3]};
      ConstValue cv = c.constValue(1);
      w = cv != null ? c.g.constant(c.in(1) + "/reshaped", cv.reshaped(flat))
          : c.emit("Reshape", List.of(w, c.int64s(flat)), c.dtype(1), flat);
      group = fs[2];
      outChannels = fs[2] * fs[3];
    } else {
      long inChannels = nchw ? (xs == null ? -1 : xs[1]) : (xs == null ? -1 : xs[3]);
      if (inChannels > 0 && inChannels != fs[2]) {
        group = inChannels / fs[2];
      }
    }
    w = c.transpose(w, FILTER_TO_OIHW);
    long[] xn = nchwShape(xs, nchw);
    long[] yn = {xn[0], outChannels, Shapes.windowOut(xn[2], k[0], strides[0], dil[0], pads == null
        || c.attrString("padding", "").equals("SAME")), Shapes.windowOut(xn[3], k[1], strides[1], dil[1],
        pads == null || c.attrString("padding", "").equals("SAME"))};
    if (pads != null && c.attrString("padding", "").equals("EXPLICIT")) {
      for (int i = 0; i < 2; i++) {
        yn[2 + i] = xn[2 + i] < 0 ? -1 : (xn[2 + i] + pads[i] + pads[i + 2] - ((k[i] - 1) * dil[i] + 1)) / strides[i] + 1;
      }
    }
    long g = group;
    String y = c.emit("Conv", List.of(x, w), c.dtype(0), yn, n -> {
      n.attr("kernel_shape", k).attr("strides", strides).attr("dilations", dil);
      if (g != 1) {
        n.attr("group", g);
      }
      setPads(n, pads);
    });
    c.output(0, nchw ? y : c.transpose(y, TO_NHWC));
  }

  private static void convTranspose(MapContext c) {
    boolean nchw = isNchw(c);
    // the batch may be computed at run time (Keras packs it from the input's Shape); ConvTranspose needs the rest
    Long[] known = c.knownElements(0);
    if (known == null || known.length != 4 || known[1] == null || known[2] == null || known[3] == null) {
      c.requireConstant(0, "input_sizes");
      throw new UnsupportedInputException("its input_sizes' channel and spatial sizes are not constant");
    }
    long[] sizes = java.util.Arrays.stream(known).mapToLong(v -> v == null ? -1 : v).toArray();
    long[] fs = c.shape(1);
    if (fs == null || fs.length != 4) {
      throw new UnsupportedInputException("the filter's shape is not known statically");
    }
    long[] strides = spatial(c.attrInts("strides"), nchw);
    long[] dil = spatial(c.attrInts("dilations"), nchw);
    long[] outHw = nchw ? new long[] {sizes[2], sizes[3]} : new long[] {sizes[1], sizes[2]};
    long[] k = {fs[0], fs[1]};
    String padding = c.attrString("padding", "VALID");
    long[] before = new long[2];
    long[] after = new long[2];
    long[] outputPadding = new long[2];
    for (int i = 0; i < 2; i++) {
      long eff = (k[i] - 1) * dil[i] + 1;
      long in;
      long total;
      if (padding.equals("SAME")) {
        in = (outHw[i] + strides[i] - 1) / strides[i];
        total = Math.max(0, (in - 1) * strides[i] + eff - outHw[i]);
      } else if (padding.equals("VALID")) {
        in = (outHw[i] - eff) / strides[i] + 1;
        total = 0;
      } else {
        throw new UnsupportedInputException("padding " + padding + " is not supported");
      }
      before[i] = total / 2;
      after[i] = total - total / 2;
      outputPadding[i] = outHw[i] - ((in - 1) * strides[i] + eff - total);
    }
    String x = nchw ? c.in(2) : c.transpose(c.in(2), TO_NCHW);
    // the forward conv's HWIO filter is ConvTranspose's (C_in = forward out, C_out = forward in, kH, kW)
    String w = c.transpose(c.in(1), FILTER_TO_OIHW);
    long[] yn = {sizes[0], nchw ? sizes[1] : sizes[3], outHw[0], outHw[1]};
    long[] xs = c.shape(2);
    if (xs != null) {
      yn[0] = xs[0];
    }
    String y = c.emit("ConvTranspose", List.of(x, w), c.dtype(2), yn, n -> n.attr("kernel_shape", k)
        .attr("strides", strides).attr("dilations", dil)
        .attr("pads", new long[] {before[0], before[1], after[0], after[1]})
        .attr("output_padding", outputPadding));
    c.output(0, nchw ? y : c.transpose(y, TO_NHWC));
  }

  private static void pool(MapContext c, String op, long[] ksize, long[] stridesAttr) {
    boolean nchw = isNchw(c);
    long[] k = spatial(ksize, nchw);
    long[] strides = spatial(stridesAttr, nchw);
    long[] full = nchw ? new long[] {ksize[0], ksize[1]} : new long[] {ksize[0], ksize[3]};
    if (full[0] != 1 || full[1] != 1) {
      throw new UnsupportedInputException("pooling over the batch or channel dimension is not supported");
    }
    long[] xs = c.shape(0);
    long[] one = {1, 1};
    long[] pads = pads(c, hw(xs, nchw), k, strides, one, nchw);
    long[] xn = nchwShape(xs, nchw);
    boolean same = c.attrString("padding", "").equals("SAME");
    long[] yn = {xn[0], xn[1], Shapes.windowOut(xn[2], k[0], strides[0], 1, same),
        Shapes.windowOut(xn[3], k[1], strides[1], 1, same)};
    String x = nchw ? c.in(0) : c.transpose(c.in(0), TO_NCHW);
    String y = c.emit(op, List.of(x), c.dtype(0), yn, n -> {
      n.attr("kernel_shape", k).attr("strides", strides);
      setPads(n, pads);
      if (op.equals("AveragePool")) {
        n.attr("count_include_pad", 0L); // TF averages over the window's valid pixels only
      }
    });
    c.output(0, nchw ? y : c.transpose(y, TO_NHWC));
  }

  private static void batchNorm(MapContext c) {
    if (c.attrBool("is_training", true)) {
      throw new UnsupportedInputException("is_training=true (batch statistics) has no inference mapping; export "
          + "the inference graph");
    }
    boolean nchw = isNchw(c);
    float eps = c.attrFloat("epsilon", 1e-4f);
    Tensor scale = c.constant(1);
    Tensor offset = c.constant(2);
    Tensor mean = c.constant(3);
    Tensor var = c.constant(4);
    String y;
    if (scale != null && offset != null && mean != null && var != null && c.dtype(0) == DType.FLOAT
        && scale.dtype() == DType.FLOAT) {
      // folded as TF's CPU kernel computes it: s = rsqrt(var + eps) * scale, y = x * s + (offset - mean * s)
      int n = scale.size();
      float[] s = new float[n];
      float[] b = new float[n];
      float[] sc = scale.floats();
      float[] of = offset.floats();
      float[] mu = mean.floats();
      float[] v = var.floats();
      for (int i = 0; i < n; i++) {
        s[i] = (float) (1.0 / Math.sqrt(v[i] + eps)) * sc[i];
        b[i] = of[i] - mu[i] * s[i];
      }
      long[] dims = nchw ? new long[] {n, 1, 1} : new long[] {n};
      String sName = c.constant(Tensor.ofFloats(dims, s));
      String bName = c.constant(Tensor.ofFloats(dims, b));
      y = ElementwiseMappings.binary(c, "Add", ElementwiseMappings.binary(c, "Mul", c.in(0), sName), bName);
    } else {
      String x = nchw ? c.in(0) : c.transpose(c.in(0), TO_NCHW);
      long[] xn = nchwShape(c.shape(0), nchw);
      String yn = c.emit("BatchNormalization", List.of(x, c.in(1), c.in(2), c.in(3), c.in(4)), c.dtype(0), xn,
          n -> n.attr("epsilon", eps));
      y = nchw ? yn : c.transpose(yn, TO_NHWC);
    }
    c.output(0, y);
    // in inference the batch statistics outputs pass the moving statistics through
    c.output(1, c.in(3));
    c.output(2, c.in(4));
    if (c.outputs().length > 3) {
      c.output(3, c.in(3));
      c.output(4, c.in(4));
    }
  }

  private static void biasAdd(MapContext c) {
    String bias = c.in(1);
    if (isNchw(c)) {
      int rank = c.requireRank(0);
      long[] dims = new long[rank - 1];
      java.util.Arrays.fill(dims, 1);
      long[] bs = c.shape(1);
      dims[0] = bs == null ? -1 : bs[0];
      ConstValue cv = c.constValue(1);
      bias = cv != null ? c.g.constant(bias + "/reshaped", cv.reshaped(dims))
          : c.emit("Reshape", List.of(bias, c.int64s(dims)), c.dtype(1), dims);
    }
    c.output(0, c.emit("Add", List.of(c.in(0), bias), c.dtype(0), c.shape(0)));
  }

  private static void lrn(MapContext c) {
    long r = c.attrInt("depth_radius", 5);
    long size = 2 * r + 1;
    float alpha = c.attrFloat("alpha", 1f);
    float beta = c.attrFloat("beta", 0.5f);
    float bias = c.attrFloat("bias", 1f);
    String x = c.transpose(c.in(0), TO_NCHW);
    String y = c.emit("LRN", List.of(x), c.dtype(0), c.g.meta(x).shape(), n -> n.attr("size", size)
        .attr("alpha", alpha * size).attr("beta", beta).attr("bias", bias));
    c.output(0, c.transpose(y, TO_NHWC));
  }

  private static void resize(MapContext c, String mode) {
    long[] size = c.requireLongs(1, "size");
    boolean align = c.attrBool("align_corners", false);
    boolean half = c.attrBool("half_pixel_centers", false);
    String x = c.transpose(c.in(0), TO_NCHW);
    long[] xn = c.g.meta(x).shape();
    long[] yn = {xn[0], xn[1], size[0], size[1]};
    String sizes;
    if (xn[0] >= 0 && xn[1] >= 0) {
      sizes = c.int64s(yn);
    } else {
      String shape = c.emit("Shape", List.of(x), DType.INT64, new long[] {4});
      String nc = c.emit("Slice", List.of(shape, c.int64s(0), c.int64s(2)), DType.INT64, new long[] {2});
      sizes = c.emit("Concat", List.of(nc, c.int64s(size)), DType.INT64, new long[] {4}, n -> n.attr("axis", 0L));
    }
    String coord = align ? "align_corners" : half ? "half_pixel" : "asymmetric";
    String y = c.emit("Resize", List.of(x, "", "", sizes), c.dtype(0), yn, n -> {
      n.attr("mode", mode).attr("coordinate_transformation_mode", coord);
      if (mode.equals("nearest")) {
        // TF rounds half up (align_corners: roundf; half-pixel: floor((i + 0.5) * scale)); else it floors
        n.attr("nearest_mode", align || half ? "round_prefer_ceil" : "floor");
      }
    });
    c.output(0, c.transpose(y, TO_NHWC));
  }

  private static void topK(MapContext c) {
    String k = c.emit("Reshape", List.of(c.asInt64(1), c.int64s(1)), DType.INT64, new long[] {1});
    long[] xs = c.shape(0);
    Tensor kv = c.constant(1);
    long[] ys = xs == null ? null : xs.clone();
    if (ys != null) {
      ys[ys.length - 1] = kv == null ? -1 : kv.toLongs()[0];
    }
    List<String> outs = c.emitN("TopK", List.of(c.in(0), k), 2, new DType[] {c.dtype(0), DType.INT64},
        new long[][] {ys, ys}, n -> n.attr("axis", -1L).attr("largest", 1L).attr("sorted", 1L));
    c.output(0, outs.get(0));
    DType index = c.attrType("index_type") == null ? DType.INT32 : c.attrType("index_type");
    c.output(1, c.cast(outs.get(1), index));
  }

  private static void reduce(MapContext c, String op) {
    long[] axes = c.requireLongs(1, "reduction axes");
    boolean keep = c.attrBool("keep_dims", false);
    long[] xs = c.shape(0);
    if (axes.length == 0) {
      c.output(0, c.in(0));
      return;
    }
    long[] ys = null;
    if (xs != null) {
      java.util.Set<Integer> reduced = new java.util.HashSet<>();
      for (long a : axes) {
        reduced.add(Shapes.normAxis(a, xs.length));
      }
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < xs.length; i++) {
        if (!reduced.contains(i)) {
          out.add(xs[i]);
        } else if (keep) {
          out.add(1L);
        }
      }
      ys = out.stream().mapToLong(Long::longValue).toArray();
    }
    String x = c.in(0);
    boolean logical = c.op().equals("All") || c.op().equals("Any");
    if (logical) {
      x = c.cast(x, DType.INT32);
    }
    boolean axesInput = op.equals("ReduceSum") ? c.opset >= 13 : c.opset >= 18;
    String y = c.withAxes(op, x, axes, c.g.meta(x).dtype(), ys, axesInput, n -> n.attr("keepdims", keep ? 1L : 0L));
    c.output(0, logical ? c.cast(y, DType.BOOL) : y);
  }

  private static void argReduce(MapContext c, String op) {
    long axis = c.requireLongs(1, "axis")[0];
    long[] xs = c.shape(0);
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
    String y = c.emit(op, List.of(c.in(0)), DType.INT64, ys, n -> n.attr("axis", axis).attr("keepdims", 0L));
    DType out = c.attrType("output_type") == null ? DType.INT64 : c.attrType("output_type");
    c.output(0, c.cast(y, out));
  }
}
