package io.tfgw.converters.onnx.read;

import static io.tfgw.converters.onnx.read.TfGraphBuilder.b;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.f;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.i;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.ints;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.str;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.type;

import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.util.List;
import java.util.Set;

/**
 * ONNX's NCHW convolutions, pooling, LRN and Resize on TF's NHWC kernels: the tensor stays NCHW in the TF graph and
 * each op is wrapped in a Transpose pair (the runtime's Conv2D and pooling are NHWC). Only 2-D (4-D tensor) forms.
 */
final class NchwOps {
  static final Set<String> SUPPORTED = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
      "GlobalMaxPool", "LRN", "Resize", "Upsample");

  private static final int[] TO_NHWC = {0, 2, 3, 1};
  private static final int[] TO_NCHW = {0, 3, 1, 2};

  private NchwOps() {}

  static List<Value> map(NodeContext c) {
    return switch (c.node.getOpType()) {
      case "Conv" -> List.of(conv(c));
      case "ConvTranspose" -> List.of(convTranspose(c));
      case "MaxPool", "AveragePool" -> pool(c);
      case "GlobalAveragePool", "GlobalMaxPool" -> List.of(globalPool(c));
      case "LRN" -> List.of(lrn(c));
      default -> List.of(resize(c));
    };
  }

  private static void require4d(NodeContext c, Value x) {
    if (x.rank() != 4 && x.rank() >= 0) {
      throw c.unsupported("a " + x.rank() + "-D input (only 2-D NCHW images, 4-D tensors, are mapped)");
    }
  }

  /**
   * Per spatial axis: [begin, end] pads from pads/auto_pad, or null for SAME_UPPER on an input whose height and
   * width are known only at run time: ONNX's SAME_UPPER puts the odd pixel at the end, exactly as TF's
   * padding="SAME" does, so those nodes map to SAME and need no size (tfgw's own exports of loops with
   * convolutions are such nodes). SAME_LOWER puts it at the start, which TF has no padding for, so it needs the
   * static size.
   */
  private static long[][] pads(NodeContext c, long[] inHw, long[] kernel, long[] strides, long[] dilations) {
    String autoPad = c.attrString("auto_pad", "NOTSET");
    long[][] out = new long[2][2];
    switch (autoPad) {
      case "NOTSET" -> {
        long[] p = c.attrInts("pads");
        if (p != null) {
          if (p.length != 4) {
            throw c.unsupported("pads of length " + p.length);
          }
          out[0] = new long[] {p[0], p[2]};
          out[1] = new long[] {p[1], p[3]};
        }
      }
      case "VALID" -> { }
      case "SAME_UPPER", "SAME_LOWER" -> {
        if (inHw == null) {
          if (autoPad.equals("SAME_UPPER")) {
            return null;
          }
          throw c.unsupported("auto_pad SAME_LOWER on an input whose height and width are not known in the file"
              + " (SAME_UPPER and explicit pads are mapped at any size)");
        }
        for (int k = 0; k < 2; k++) {
          long outSize = (inHw[k] + strides[k] - 1) / strides[k];
          long total = Math.max(0, (outSize - 1) * strides[k] + (kernel[k] - 1) * dilations[k] + 1 - inHw[k]);
          long small = total / 2;
          out[k] = autoPad.equals("SAME_UPPER") ? new long[] {small, total - small} : new long[] {total - small, small};
        }
      }
      default -> throw c.unsupported("auto_pad '" + autoPad + "'");
    }
    return out;
  }

  private static long[] attr2(NodeContext c, String name) {
    long[] v = c.attrInts(name);
    if (v == null) {
      return new long[] {1, 1};
    }
    if (v.length != 2) {
      throw c.unsupported(name + " of length " + v.length + " (only 2-D is mapped)");
    }
    return v;
  }

  /** The static [H, W] of an NCHW value when the ONNX file declares it, else null. */
  private static long[] staticHw(NodeContext c, int input) {
    long[] dims = c.staticDims(input);
    return dims == null || dims.length != 4 || dims[2] < 0 || dims[3] < 0 ? null : new long[] {dims[2], dims[3]};
  }

  private static Value conv(NodeContext c) {
    Value x = c.in(0);
    require4d(c, x);
    Value w = c.in(1);
    long[] wDims = c.staticDims(1);
    if (wDims == null || wDims.length != 4) {
      throw c.unsupported("a weight whose 4-D shape is not known (only 2-D convolutions are mapped)");
    }
    DType t = x.dtype();
    long[] strides = attr2(c, "strides");
    long[] dilations = attr2(c, "dilations");
    long group = c.attrInt("group", 1);
    long[] kernel = {wDims[2], wDims[3]};
    long[][] pads = pads(c, staticHw(c, 0), kernel, strides, dilations);
    String xNhwc = c.transpose(x.ref(), t, TO_NHWC);
    // ONNX weights are [M, C/group, kH, kW]; TF's filters are [kH, kW, C/group, M]
    String filter = c.transpose(w.ref(), t, 2, 3, 1, 0);
    String y;
    if (group == 1) {
      y = conv2d(c, "Conv2D", xNhwc, filter, t, strides, dilations, pads);
    } else if (wDims[1] == 1 && dilations[0] == 1 && dilations[1] == 1) {
      // (TF's CPU DepthwiseConv2dNative has no dilations: dilated depthwise convolutions take the split path)
      // depthwise: output channel m = ch * mult + q reads input channel ch; TF's filter is [kH, kW, C, mult]
      long channels = group;
      String hwm1 = c.transpose(w.ref(), t, 2, 3, 0, 1);
      String dw = c.reshape(hwm1, t, c.constLongs(kernel[0], kernel[1], channels, wDims[0] / channels), DType.INT64);
      y = conv2d(c, "DepthwiseConv2dNative", xNhwc, dw, t, strides, dilations, pads);
    } else {
      String axis = c.g.constant(c.base() + "/split_axis", Tensor.scalar(3));
      String xs = c.add(c.nd("Split", axis, xNhwc).putAttr("T", type(t)).putAttr("num_split", i(group)));
      String fs = c.add(c.nd("Split", axis, filter).putAttr("T", type(t)).putAttr("num_split", i(group)));
      String[] parts = new String[(int) group];
      for (int k = 0; k < group; k++) {
        parts[k] = conv2d(c, "Conv2D", xs + (k == 0 ? "" : ":" + k), fs + (k == 0 ? "" : ":" + k), t, strides,
            dilations, pads);
      }
      y = c.concat(t, 3, parts);
    }
    if (c.has(2)) {
      y = c.add(c.nd("BiasAdd", y, c.in(2).ref()).putAttr("T", type(t)).putAttr("data_format", str("NHWC")));
    }
    return new Value(c.transpose(y, t, TO_NCHW), t, 4);
  }

  /**
   * ConvTranspose 2-D (group 1, no dilations) as TF's Conv2DBackpropInput: the full transposed convolution (VALID,
   * {@code (in - 1) * stride + k} pixels, the batch read from the input at run time), then ONNX's pads cut from it
   * and output_padding added as zeros past its end (no input pixel reaches there), then the bias.
   */
  private static Value convTranspose(NodeContext c) {
    Value x = c.in(0);
    require4d(c, x);
    long[] wDims = c.staticDims(1);
    if (wDims == null || wDims.length != 4) {
      throw c.unsupported("a weight whose 4-D shape is not known (only 1-D and 2-D transposed convolutions are "
          + "mapped)");
    }
    if (c.attrInt("group", 1) != 1) {
      throw c.unsupported("group " + c.attrInt("group", 1) + " (TF's Conv2DBackpropInput has no groups)");
    }
    long[] dilations = attr2(c, "dilations");
    if (dilations[0] != 1 || dilations[1] != 1) {
      throw c.unsupported("dilations (TF's CPU Conv2DBackpropInput has none)");
    }
    String autoPad = c.attrString("auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID") || c.hasAttr("output_shape")) {
      throw c.unsupported("auto_pad " + autoPad + (c.hasAttr("output_shape") ? " with output_shape" : "")
          + " (explicit pads are mapped)");
    }
    long[] hw = staticHw(c, 0);
    if (hw == null) {
      throw c.unsupported("an input whose height and width are not known (the output size must be constant)");
    }
    DType t = x.dtype();
    long[] strides = attr2(c, "strides");
    long[] kernel = {wDims[2], wDims[3]};
    long[] outPad = c.attrInts("output_padding") == null ? new long[2] : c.attrInts("output_padding");
    long[] p = c.attrInts("pads") == null || autoPad.equals("VALID") ? new long[4] : c.attrInts("pads");
    if (outPad.length != 2 || p.length != 4) {
      throw c.unsupported("output_padding of length " + outPad.length + " or pads of length " + p.length
          + " (2-D needs 2 and 4)");
    }
    long outChannels = wDims[1];
    long[] full = new long[2];
    long[] out = new long[2];
    for (int k = 0; k < 2; k++) {
      full[k] = (hw[k] - 1) * strides[k] + kernel[k];
      out[k] = full[k] + outPad[k] - p[k] - p[k + 2];
    }
    String xNhwc = c.transpose(x.ref(), t, TO_NHWC);
    // ONNX weights are [C_in, M, kH, kW]; the backprop's filter is the forward conv's [kH, kW, M, C_in]
    String filter = c.transpose(c.in(1).ref(), t, 2, 3, 1, 0);
    String batch = c.sliceVector(c.shapeOf(x.ref(), t), DType.INT64, 0, 1, false);
    String sizes = c.cast(c.concat(DType.INT64, 0, batch, c.constLongs(full[0], full[1], outChannels)), DType.INT64,
        DType.INT32);
    String y = c.add(c.nd("Conv2DBackpropInput", sizes, filter, xNhwc).putAttr("T", type(t))
        .putAttr("strides", ints(1, strides[0], strides[1], 1)).putAttr("dilations", ints(1, 1, 1, 1))
        .putAttr("padding", str("VALID")).putAttr("data_format", str("NHWC")).putAttr("use_cudnn_on_gpu", b(true)));
    // cut the pads (as far as the full result reaches), then zeros for what output_padding adds past it
    long[] keep = new long[2];
    long[] zeros = new long[2];
    for (int k = 0; k < 2; k++) {
      keep[k] = Math.min(out[k], full[k] - p[k]);
      zeros[k] = out[k] - keep[k];
    }
    if (p[0] != 0 || p[1] != 0 || keep[0] != full[0] || keep[1] != full[1]) {
      y = c.add(c.nd("Slice", y, c.constLongs(0, p[0], p[1], 0), c.constLongs(-1, keep[0], keep[1], -1))
          .putAttr("T", type(t)).putAttr("Index", type(DType.INT64)));
    }
    if (zeros[0] != 0 || zeros[1] != 0) {
      y = c.add(c.nd("PadV2", y, c.constIntMatrix(new int[][] {{0, 0}, {0, (int) zeros[0]}, {0, (int) zeros[1]},
          {0, 0}}), c.scalar(t, 0)).putAttr("T", type(t)).putAttr("Tpaddings", type(DType.INT32)));
    }
    if (c.has(2)) {
      y = c.add(c.nd("BiasAdd", y, c.in(2).ref()).putAttr("T", type(t)).putAttr("data_format", str("NHWC")));
    }
    return new Value(c.transpose(y, t, TO_NCHW), t, 4);
  }

  private static String conv2d(NodeContext c, String op, String x, String filter, DType t, long[] strides,
      long[] dilations, long[][] pads) {
    boolean same = pads == null;
    boolean valid = !same && pads[0][0] == 0 && pads[0][1] == 0 && pads[1][0] == 0 && pads[1][1] == 0;
    var nd = c.nd(op, x, filter).putAttr("T", type(t)).putAttr("strides", ints(1, strides[0], strides[1], 1))
        .putAttr("dilations", ints(1, dilations[0], dilations[1], 1)).putAttr("data_format", str("NHWC"))
        .putAttr("padding", str(same ? "SAME" : valid ? "VALID" : "EXPLICIT"));
    if (!same && !valid) {
      nd.putAttr("explicit_paddings", ints(0, 0, pads[0][0], pads[0][1], pads[1][0], pads[1][1], 0, 0));
    }
    if (op.equals("Conv2D")) {
      nd.putAttr("use_cudnn_on_gpu", b(true));
    }
    return c.add(nd);
  }

  private static List<Value> pool(NodeContext c) {
    Value x = c.in(0);
    require4d(c, x);
    if (c.node.getOutputCount() > 1 && !c.node.getOutput(1).isEmpty()) {
      throw c.unsupported("the Indices output");
    }
    if (c.attrInt("storage_order", 0) != 0) {
      throw c.unsupported("storage_order 1");
    }
    DType t = x.dtype();
    boolean max = c.node.getOpType().equals("MaxPool");
    long[] kernel = c.attrInts("kernel_shape");
    if (kernel == null || kernel.length != 2) {
      throw c.unsupported("kernel_shape " + (kernel == null ? "missing" : "of length " + kernel.length)
          + " (only 2-D pooling is mapped)");
    }
    long[] strides = attr2(c, "strides");
    long[] dilations = attr2(c, "dilations");
    if (dilations[0] != 1 || dilations[1] != 1) {
      throw c.unsupported("dilations (TF's pooling has none)");
    }
    boolean ceil = c.attrInt("ceil_mode", 0) != 0;
    boolean includePad = !max && c.attrInt("count_include_pad", 0) != 0;
    long[] hw = staticHw(c, 0);
    long[][] pads = pads(c, hw, kernel, strides, dilations);
    if (pads == null && (ceil || includePad)) {
      // TF's SAME pooling neither counts the padding nor rounds up: those need the pads, so the static size
      throw c.unsupported("auto_pad SAME_UPPER with " + (ceil ? "ceil_mode" : "count_include_pad")
          + " on an input whose height and width are not known in the file");
    }
    // ceil_mode: extra padding at the end so the last partial window counts (never one that starts in padding)
    long[] extra = new long[2];
    if (ceil) {
      if (hw == null) {
        throw c.unsupported("ceil_mode on an input whose height and width are not known");
      }
      for (int k = 0; k < 2; k++) {
        long span = hw[k] + pads[k][0] + pads[k][1] - kernel[k];
        long out = Math.floorDiv(span + strides[k] - 1, strides[k]) + 1;
        if ((out - 1) * strides[k] >= hw[k] + pads[k][0]) {
          out--;
        }
        extra[k] = Math.max(0, (out - 1) * strides[k] + kernel[k] - (hw[k] + pads[k][0] + pads[k][1]));
      }
    }
    String xNhwc = c.transpose(x.ref(), t, TO_NHWC);
    boolean noPads = pads != null && pads[0][0] == 0 && pads[0][1] == 0 && pads[1][0] == 0 && pads[1][1] == 0;
    String y;
    String autoPad = c.attrString("auto_pad", "NOTSET");
    if (!ceil && autoPad.equals("SAME_UPPER") && !includePad) {
      y = pool2d(c, max ? "MaxPool" : "AvgPool", xNhwc, t, kernel, strides, "SAME");
    } else if (noPads && extra[0] == 0 && extra[1] == 0) {
      y = pool2d(c, max ? "MaxPool" : "AvgPool", xNhwc, t, kernel, strides, "VALID");
    } else if (max) {
      int[][] all = nhwcPads(pads, extra);
      String padded = c.add(c.nd("PadV2", xNhwc, c.constIntMatrix(all), c.scalar(t, Double.NEGATIVE_INFINITY))
          .putAttr("T", type(t)).putAttr("Tpaddings", type(DType.INT32)));
      y = pool2d(c, "MaxPool", padded, t, kernel, strides, "VALID");
    } else {
      // the window's sum over the count ONNX divides by: real pads count with count_include_pad, ceil's never
      int[][] all = nhwcPads(pads, extra);
      String padded = c.add(c.nd("PadV2", xNhwc, c.constIntMatrix(all), c.scalar(t, 0))
          .putAttr("T", type(t)).putAttr("Tpaddings", type(DType.INT32)));
      String sum = pool2d(c, "AvgPool", padded, t, kernel, strides, "VALID");
      String ones = c.op("OnesLike", t, xNhwc);
      String mask = c.add(c.nd("PadV2", ones, c.constIntMatrix(nhwcPads(pads, new long[2])),
          c.scalar(t, includePad ? 1 : 0)).putAttr("T", type(t)).putAttr("Tpaddings", type(DType.INT32)));
      mask = c.add(c.nd("PadV2", mask, c.constIntMatrix(nhwcPads(new long[2][2], extra)), c.scalar(t, 0))
          .putAttr("T", type(t)).putAttr("Tpaddings", type(DType.INT32)));
      String count = pool2d(c, "AvgPool", mask, t, kernel, strides, "VALID");
      y = c.op("RealDiv", t, sum, count);
    }
    return List.of(new Value(c.transpose(y, t, TO_NCHW), t, 4));
  }

  private static int[][] nhwcPads(long[][] pads, long[] extra) {
    return new int[][] {{0, 0}, {(int) pads[0][0], (int) (pads[0][1] + extra[0])},
        {(int) pads[1][0], (int) (pads[1][1] + extra[1])}, {0, 0}};
  }

  private static String pool2d(NodeContext c, String op, String x, DType t, long[] kernel, long[] strides,
      String padding) {
    return c.add(c.nd(op, x).putAttr("T", type(t)).putAttr("ksize", ints(1, kernel[0], kernel[1], 1))
        .putAttr("strides", ints(1, strides[0], strides[1], 1)).putAttr("padding", str(padding))
        .putAttr("data_format", str("NHWC")));
  }

  private static Value globalPool(NodeContext c) {
    Value x = c.in(0);
    if (x.rank() < 0) {
      throw c.unsupported("an input of unknown rank");
    }
    long[] axes = new long[x.rank() - 2];
    for (int k = 0; k < axes.length; k++) {
      axes[k] = k + 2;
    }
    String op = c.node.getOpType().equals("GlobalMaxPool") ? "Max" : "Mean";
    String r = c.add(c.nd(op, x.ref(), c.constLongs(axes)).putAttr("T", type(x.dtype()))
        .putAttr("Tidx", type(DType.INT64)).putAttr("keep_dims", b(true)));
    return new Value(r, x.dtype(), x.rank());
  }

  private static Value lrn(NodeContext c) {
    Value x = c.in(0);
    require4d(c, x);
    long size = c.attrInt("size", 0);
    if (size % 2 == 0) {
      throw c.unsupported("an even size " + size + " (TF's LRN window is symmetric)");
    }
    DType t = x.dtype();
    String xNhwc = c.transpose(x.ref(), t, TO_NHWC);
    String y = c.add(c.nd("LRN", xNhwc).putAttr("T", type(t)).putAttr("depth_radius", i((size - 1) / 2))
        .putAttr("bias", f(c.attrFloat("bias", 1f))).putAttr("alpha", f(c.attrFloat("alpha", 1e-4f) / size))
        .putAttr("beta", f(c.attrFloat("beta", 0.75f))));
    return new Value(c.transpose(y, t, TO_NCHW), t, 4);
  }

  private static Value resize(NodeContext c) {
    Value x = c.in(0);
    require4d(c, x);
    DType t = x.dtype();
    boolean upsample = c.node.getOpType().equals("Upsample");
    String mode = c.attrString("mode", "nearest");
    String coords = upsample || c.opset < 11 ? "asymmetric" : c.attrString("coordinate_transformation_mode",
        "half_pixel");
    String nearest = upsample || c.opset < 11 ? "floor" : c.attrString("nearest_mode", "round_prefer_floor");
    boolean alignCorners;
    boolean halfPixel;
    String op;
    if (mode.equals("linear") || mode.equals("bilinear")) {
      op = "ResizeBilinear";
      alignCorners = coords.equals("align_corners");
      halfPixel = coords.equals("half_pixel") || coords.equals("pytorch_half_pixel");
      if (!alignCorners && !halfPixel && !coords.equals("asymmetric")) {
        throw c.unsupported("linear mode with coordinate_transformation_mode '" + coords + "'");
      }
    } else if (mode.equals("nearest")) {
      op = "ResizeNearestNeighbor";
      alignCorners = coords.equals("align_corners") && nearest.equals("round_prefer_ceil");
      halfPixel = coords.equals("tf_half_pixel_for_nn") && nearest.equals("floor")
          || coords.equals("half_pixel") && nearest.equals("round_prefer_ceil");
      boolean plain = coords.equals("asymmetric") && nearest.equals("floor");
      if (!alignCorners && !halfPixel && !plain) {
        throw c.unsupported("nearest mode with coordinate_transformation_mode '" + coords + "' and nearest_mode '"
            + nearest + "' (mapped: asymmetric+floor, tf_half_pixel_for_nn+floor, half_pixel+round_prefer_ceil, "
            + "align_corners+round_prefer_ceil)");
      }
    } else {
      throw c.unsupported("mode '" + mode + "'");
    }
    if (c.opset >= 11 && c.attrInt("exclude_outside", 0) != 0 || c.hasAttr("antialias") && c.attrInt("antialias", 0) != 0) {
      throw c.unsupported("exclude_outside/antialias");
    }
    String size;
    int scalesInput = upsample || c.opset < 11 ? 1 : 2;
    if (!upsample && c.opset >= 11 && c.has(3)) {
      long[] sizes = c.constIn(3, "sizes").toLongs();
      if (coords.equals("pytorch_half_pixel") && (sizes[2] == 1 || sizes[3] == 1)) {
        // an output of length 1 samples input pixel 0 there, where TF's half-pixel centres sample the middle
        throw c.unsupported("pytorch_half_pixel with an output size of 1");
      }
      size = c.constInts((int) sizes[2], (int) sizes[3]);
    } else {
      float[] scales;
      if (upsample && c.opset < 9) {
        scales = c.attrFloats("scales");
      } else {
        Tensor s = c.constIn(scalesInput, "scales");
        scales = s.floats();
      }
      if (scales == null || scales.length != 4 || scales[0] != 1f || scales[1] != 1f) {
        throw c.unsupported("scales other than [1, 1, h, w]");
      }
      long[] hw = staticHw(c, 0);
      // ONNX maps coordinates by the given scale, TF by the ratio of the sizes: the same only when the scaled size
      // is whole (and, for pytorch_half_pixel, when no output length is 1)
      for (int k = 0; k < 2; k++) {
        double scaled = hw == null ? Double.NaN : hw[k] * (double) scales[2 + k];
        boolean whole = hw != null ? scaled == Math.floor(scaled) : scales[2 + k] == Math.floor(scales[2 + k])
            && scales[2 + k] >= 1;
        if (!whole) {
          throw c.unsupported("scale " + scales[2 + k] + (hw == null ? " on an input of unknown size"
              : " of size " + hw[k]) + " (ONNX maps coordinates by the scale, TF by the ratio of whole sizes; "
              + "give sizes instead)");
        }
        if (coords.equals("pytorch_half_pixel") && (hw == null ? scales[2 + k] < 2 : scaled == 1)) {
          throw c.unsupported("pytorch_half_pixel where an output size may be 1");
        }
      }
      if (hw != null) {
        size = c.constInts((int) Math.floor(hw[0] * scales[2]), (int) Math.floor(hw[1] * scales[3]));
      } else {
        String dims = c.cast(c.sliceVector(c.shapeOf(x.ref(), t), DType.INT64, 2, 4, false), DType.INT64, DType.FLOAT);
        String scaled = c.op("Floor", DType.FLOAT, c.op("Mul", DType.FLOAT, dims,
            c.g.constant(c.base() + "/scales", Tensor.ofFloats(new long[] {2}, scales[2], scales[3]))));
        size = c.cast(scaled, DType.FLOAT, DType.INT32);
      }
    }
    String xNhwc = c.transpose(x.ref(), t, TO_NHWC);
    String y = c.add(c.nd(op, xNhwc, size).putAttr("T", type(t)).putAttr("align_corners", b(alignCorners))
        .putAttr("half_pixel_centers", b(halfPixel)));
    DType outType = op.equals("ResizeBilinear") ? DType.FLOAT : t;
    y = c.cast(y, outType, t);
    return new Value(c.transpose(y, t, TO_NCHW), t, 4);
  }
}
