package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.Arrays;
import java.util.function.BiConsumer;

/** Neural-network ops: matrix products, convolutions, pooling, batch normalization, softmax. */
final class NnKernels {
  private NnKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("MatMul", ctx -> {
      Tensor out = matmul(ctx.input(0), ctx.input(1), ctx.attrBool("transpose_a", false),
          ctx.attrBool("transpose_b", false));
      Epilogue e = ctx.epilogue();
      // the product is a fresh array, so the fused chain's bias and activation go on in place
      if (e != null && out.dtype() == DType.FLOAT && out.dim(1) == e.channels()) {
        e.applyAll(out.floats());
        ctx.epilogueApplied();
      }
      ctx.output(0, out);
    });
    OpKernel bmm = ctx -> ctx.output(0, batchMatmul(ctx.input(0), ctx.input(1), ctx.attrBool("adj_x", false),
        ctx.attrBool("adj_y", false)));
    r.accept("BatchMatMul", bmm);
    r.accept("BatchMatMulV2", bmm);
    r.accept("BatchMatMulV3", bmm);
    r.accept("Einsum", EinsumKernel::compute);
    r.accept("Conv2D", NnKernels::conv2d);
    r.accept("DepthwiseConv2dNative", NnKernels::depthwise);
    r.accept("Conv2DBackpropInput", NnKernels::conv2dBackpropInput);
    r.accept("MaxPool", ctx -> pool(ctx, true, ctx.attrInts("ksize", null), ctx.attrInts("strides", null)));
    r.accept("MaxPoolV2", ctx -> pool(ctx, true, ctx.input(1).toLongs(), ctx.input(2).toLongs()));
    r.accept("AvgPool", ctx -> pool(ctx, false, ctx.attrInts("ksize", null), ctx.attrInts("strides", null)));
    r.accept("FusedBatchNorm", NnKernels::fusedBatchNorm);
    r.accept("FusedBatchNormV2", NnKernels::fusedBatchNorm);
    r.accept("FusedBatchNormV3", NnKernels::fusedBatchNorm);
    r.accept("Softmax", ctx -> ctx.output(0, softmax(ctx.input(0), false)));
    r.accept("LogSoftmax", ctx -> ctx.output(0, softmax(ctx.input(0), true)));
  }

  static Tensor matmul(Tensor a, Tensor b, boolean ta, boolean tb) {
    if (a.rank() != 2 || b.rank() != 2) {
      throw new KernelException("In[0] and In[1] must be matrices: " + a.shape() + " and " + b.shape());
    }
    if (a.dtype() != b.dtype()) {
      throw new KernelException("MatMul inputs have different dtypes: " + a.dtype() + " and " + b.dtype());
    }
    Tensor aa = ta ? ArrayKernels.transpose(a, new long[] {1, 0}) : a;
    Tensor bb = tb ? ArrayKernels.transpose(b, new long[] {1, 0}) : b;
    int m = aa.dim(0);
    int k = aa.dim(1);
    int n = bb.dim(1);
    if (bb.dim(0) != k) {
      throw new KernelException("Matrix size-incompatible: In[0]: " + a.shape() + ", In[1]: " + b.shape()
          + (ta || tb ? " (transpose_a=" + ta + ", transpose_b=" + tb + ")" : ""));
    }
    return product(aa, bb, 1, m, k, n, new long[] {m, n}, new int[1], new int[1]);
  }

  /** {@code batches} products of [m,k] x [k,n]; aIdx/bIdx give each batch's matrix index in a and b. */
  private static Tensor product(Tensor a, Tensor b, int batches, int m, int k, int n, long[] outDims, int[] aIdx,
      int[] bIdx) {
    Shape shape = Shape.of(outDims);
    switch (a.dtype()) {
      case FLOAT: {
        float[] c = new float[(int) shape.numElements()];
        float[] av = a.floats();
        float[] bv = b.floats();
        if (batches == 1 && m >= 4) {
          Gemm.gemm(av, 0, b.derived(Gemm.PackedMatrix.class, () -> Gemm.pack(bv, 0, k, n)), c, 0, m);
        } else if (batches == 1) {
          Gemm.gemm(av, 0, bv, 0, c, 0, m, k, n);
        } else {
          Parallel.forRangeCost(batches, (long) m * k * n, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
              Gemm.gemmRows(av, aIdx[i] * m * k, bv, bIdx[i] * k * n, c, i * m * n, k, n, 0, m);
            }
          });
        }
        return Tensor.of(DType.FLOAT, shape, Denormals.flush(c));
      }
      case DOUBLE: {
        double[] c = new double[(int) shape.numElements()];
        for (int i = 0; i < batches; i++) {
          Gemm.gemm(a.doubles(), aIdx[i] * m * k, b.doubles(), bIdx[i] * k * n, c, i * m * n, m, k, n);
        }
        return Tensor.of(DType.DOUBLE, shape, c);
      }
      case INT32: case INT64: {
        long[] c = new long[(int) shape.numElements()];
        for (int bi = 0; bi < batches; bi++) {
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              long s = 0;
              for (int kk = 0; kk < k; kk++) {
                s += a.getLong(aIdx[bi] * m * k + i * k + kk) * b.getLong(bIdx[bi] * k * n + kk * n + j);
              }
              c[bi * m * n + i * n + j] = s;
            }
          }
        }
        return Casts.cast(Tensor.of(DType.INT64, shape, c), a.dtype());
      }
      default:
        throw new KernelException("MatMul on " + a.dtype() + " tensors is not supported by the runtime");
    }
  }

  static Tensor batchMatmul(Tensor x, Tensor y, boolean adjX, boolean adjY) {
    if (x.rank() < 2 || y.rank() < 2) {
      throw new KernelException("BatchMatMul inputs must have rank >= 2: " + x.shape() + " and " + y.shape());
    }
    if (adjX) {
      x = swapLast(x);
    }
    if (adjY) {
      y = swapLast(y);
    }
    int m = x.dim(-2);
    int k = x.dim(-1);
    int n = y.dim(-1);
    if (y.dim(-2) != k) {
      throw new KernelException("Matrix size-incompatible: In[0]: " + x.shape() + ", In[1]: " + y.shape());
    }
    long[] xb = Arrays.copyOf(x.dims(), x.rank() - 2);
    long[] yb = Arrays.copyOf(y.dims(), y.rank() - 2);
    long[] batch = Broadcast.shape(xb, yb);
    int batches = 1;
    for (long d : batch) {
      batches *= (int) d;
    }
    int[] aIdx = new int[batches];
    int[] bIdx = new int[batches];
    int[] xs = Strided.strides(xb);
    int[] ys = Strided.strides(yb);
    int[] bs = Strided.strides(batch);
    for (int i = 0; i < batches; i++) {
      int rem = i;
      int ai = 0;
      int bi = 0;
      for (int d = 0; d < batch.length; d++) {
        int idx = rem / bs[d];
        rem %= bs[d];
        int dx = d - (batch.length - xb.length);
        int dy = d - (batch.length - yb.length);
        if (dx >= 0 && xb[dx] != 1) {
          ai += idx * xs[dx];
        }
        if (dy >= 0 && yb[dy] != 1) {
          bi += idx * ys[dy];
        }
      }
      aIdx[i] = ai;
      bIdx[i] = bi;
    }
    long[] outDims = Arrays.copyOf(batch, batch.length + 2);
    outDims[batch.length] = m;
    outDims[batch.length + 1] = n;
    return product(x, y, batches, m, k, n, outDims, aIdx, bIdx);
  }

  private static Tensor swapLast(Tensor t) {
    long[] perm = new long[t.rank()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i;
    }
    perm[perm.length - 1] = perm.length - 2;
    perm[perm.length - 2] = perm.length - 1;
    return ArrayKernels.transpose(t, perm);
  }

  /** Output size and padding before, per TF's GetWindowedOutputSize. */
  static int[] window(int in, int k, int stride, int dilation, String padding, long[] explicit, int dim) {
    int eff = (k - 1) * dilation + 1;
    if (stride <= 0 || dilation <= 0) {
      throw new KernelException("strides and dilations must be positive");
    }
    switch (padding) {
      case "VALID": {
        int out = in < eff ? 0 : (in - eff + stride) / stride;
        return new int[] {out, 0};
      }
      case "SAME": {
        int out = (in + stride - 1) / stride;
        int total = Math.max((out - 1) * stride + eff - in, 0);
        return new int[] {out, total / 2};
      }
      case "EXPLICIT": {
        int before = (int) explicit[2 * dim];
        int after = (int) explicit[2 * dim + 1];
        int out = (in + before + after - eff + stride) / stride;
        return new int[] {Math.max(out, 0), before};
      }
      default:
        throw new KernelException("unknown padding '" + padding + "'");
    }
  }

  private static boolean nchw(OpContext ctx) {
    return ctx.attrString("data_format", "NHWC").startsWith("NC");
  }

  private static Tensor toNhwc(Tensor x) {
    return ArrayKernels.transpose(x, new long[] {0, 2, 3, 1});
  }

  private static Tensor toNchw(Tensor x) {
    return ArrayKernels.transpose(x, new long[] {0, 3, 1, 2});
  }

  /** Attribute values for H and W of a 4-element NHWC/NCHW list. */
  private static int[] hw(long[] v, boolean nchw, int dflt) {
    if (v == null || v.length == 0) {
      return new int[] {dflt, dflt};
    }
    if (v.length != 4) {
      throw new KernelException("expected 4 values for strides/dilations/ksize, got " + Arrays.toString(v));
    }
    return nchw ? new int[] {(int) v[2], (int) v[3]} : new int[] {(int) v[1], (int) v[2]};
  }

  private static void conv2d(OpContext ctx) {
    boolean nchw = nchw(ctx);
    Tensor x = ctx.input(0);
    Tensor f = ctx.input(1);
    if (x.rank() != 4 || f.rank() != 4) {
      throw new KernelException("input and filter must be 4-dimensional: " + x.shape() + " " + f.shape());
    }
    if (nchw) {
      x = toNhwc(x);
    }
    int[] s = hw(ctx.attrInts("strides", null), nchw, 1);
    int[] d = hw(ctx.attrInts("dilations", null), nchw, 1);
    long[] explicit = explicitHw(ctx, nchw);
    Epilogue e = ctx.epilogue();
    if (e != null && (nchw || x.dtype() != DType.FLOAT || f.rank() != 4 || f.dim(3) != e.channels())) {
      e = null;
    }
    Tensor y = conv2dNhwc(x, f, s, d, ctx.attrString("padding", "VALID"), explicit, e);
    if (e != null) {
      ctx.epilogueApplied();
    }
    ctx.output(0, nchw ? toNchw(y) : y);
  }

  private static long[] explicitHw(OpContext ctx, boolean nchw) {
    long[] e = ctx.attrInts("explicit_paddings", new long[0]);
    if (e.length != 8) {
      return new long[4];
    }
    return nchw ? new long[] {e[4], e[5], e[6], e[7]} : new long[] {e[2], e[3], e[4], e[5]};
  }

  /**
   * Conv2D over NHWC input and HWIO filter: for every output pixel, the dot product of its patch (in (kh, kw, ci)
   * order, padding as zeros) with each filter column, accumulated in that order like the MatMul kernel.
   */
  static Tensor conv2dNhwc(Tensor x, Tensor f, int[] stride, int[] dil, String padding, long[] explicit) {
    return conv2dNhwc(x, f, stride, dil, padding, explicit, null);
  }

  /** As above, then {@code epilogue} (float only; null: none) on the output while it is in cache. */
  static Tensor conv2dNhwc(Tensor x, Tensor f, int[] stride, int[] dil, String padding, long[] explicit,
      Epilogue epilogue) {
    int n = x.dim(0);
    int h = x.dim(1);
    int w = x.dim(2);
    int c = x.dim(3);
    int kh = f.dim(0);
    int kw = f.dim(1);
    int fc = f.dim(2);
    int co = f.dim(3);
    if (fc <= 0 || c % fc != 0) {
      throw new KernelException("input depth must be evenly divisible by filter depth: " + c + " vs " + fc);
    }
    if (fc != c) {
      throw new KernelException("grouped convolutions (input depth " + c + ", filter depth " + fc
          + ") are not supported by the runtime");
    }
    if (x.dtype() != DType.FLOAT && x.dtype() != DType.DOUBLE) {
      throw new KernelException("Conv2D on " + x.dtype() + " tensors is not supported by the runtime");
    }
    int[] oh = window(h, kh, stride[0], dil[0], padding, explicit, 0);
    int[] ow = window(w, kw, stride[1], dil[1], padding, explicit, 1);
    int outH = oh[0];
    int outW = ow[0];
    int padT = oh[1];
    int padL = ow[1];
    int k = kh * kw * c;
    Shape shape = Shape.of(n, outH, outW, co);
    if (x.dtype() == DType.DOUBLE) {
      Tensor xf = x;
      double[] out = new double[(int) shape.numElements()];
      double[] xv = xf.doubles();
      double[] fv = f.doubles();
      for (int b = 0; b < n; b++) {
        for (int r = 0; r < outH; r++) {
          double[] patch = new double[outW * k];
          im2col(xv, null, patch, null, b, r, h, w, c, kh, kw, stride, dil, padT, padL, outW);
          Gemm.gemm(patch, 0, fv, 0, out, ((b * outH) + r) * outW * co, outW, k, co);
        }
      }
      return Tensor.of(DType.DOUBLE, shape, out);
    }
    float[] out = new float[(int) shape.numElements()];
    float[] xv = x.floats();
    float[] fv = f.floats();
    if (kh == 1 && kw == 1 && stride[0] == 1 && stride[1] == 1 && padT == 0 && padL == 0 && outH == h
        && outW == w) {
      Gemm.gemm(xv, 0, fv, 0, out, 0, n * h * w, c, co);
      return finish(shape, out, epilogue);
    }
    int pixels = outH * outW;
    int total = n * pixels;
    if (total == 0 || co == 0) {
      return Tensor.of(DType.FLOAT, shape, out);
    }
    if (Gemm.VECTOR && co >= Gemm.VECTOR_MIN_COLUMNS) {
      // The vector kernel keeps output channels in registers, so the classic form fits it: out[pixels, co] =
      // patches[pixels, k] x filter[k, co], written straight into NHWC; the filter is packed once per constant.
      int rows = Math.max(4, Math.min(256, (8192 / Math.max(1, k)) & ~3));
      int chunks = (total + rows - 1) / rows;
      Gemm.PackedMatrix packedFilter = f.derived(Gemm.PackedMatrix.class, () -> Gemm.pack(fv, 0, k, co));
      Parallel.forRangeCost(chunks, (long) rows * k * co, (lo, hi) -> {
        float[] patches = new float[rows * k];
        for (int task = lo; task < hi; task++) {
          int p0 = task * rows;
          int height = Math.min(rows, total - p0);
          patchRows(xv, p0, height, pixels, h, w, c, kh, kw, stride, dil, padT, padL, outW, patches);
          Gemm.gemmRowsFinished(patches, 0, packedFilter, out, p0 * co, 0, height, epilogue);
        }
      });
      return Tensor.of(DType.FLOAT, shape, out);
    }
    // Output pixels are the long dimension, so they are the vector lanes: out^T[co, pixels] = filter^T[co, k] x
    // patches^T[k, pixels], one image's pixels in chunks. Each output still sums its taps in (kh, kw, ci) order.
    float[] filterT = f.derived(float[].class, () -> {
      float[] t = new float[co * k];
      for (int kk = 0; kk < k; kk++) {
        for (int o = 0; o < co; o++) {
          t[o * k + kk] = fv[kk * co + o];
        }
      }
      return t;
    });
    // chunks of output pixels counted over the whole batch, so small images still fill a chunk
    int chunk = Math.min(total, Gemm.PANEL);
    int chunks = (total + chunk - 1) / chunk;
    Parallel.forRangeCost(chunks, (long) chunk * k * co, (lo, hi) -> {
      for (int task = lo; task < hi; task++) {
        int p0 = task * chunk;
        int width = Math.min(chunk, total - p0);
        float[][] patches = patchesByTap(xv, p0, width, pixels, h, w, c, kh, kw, stride, dil, padT, padL, outW);
        float[] outT = new float[co * width];
        Gemm.gemmRows(filterT, 0, Gemm.packedColumns(patches, width), outT, 0, 0, co);
        int base = p0 * co;
        for (int px = 0; px < width; px++) {
          int dst = base + px * co;
          for (int o = 0; o < co; o++) {
            out[dst + o] = outT[o * width + px];
          }
        }
      }
    });
    return finish(shape, out, epilogue);
  }

  /** A float output: denormals flushed as TF's kernels leave them, then the fused chain's epilogue if any. */
  private static Tensor finish(Shape shape, float[] out, Epilogue epilogue) {
    if (epilogue != null) {
      epilogue.applyAll(out);
    } else {
      Denormals.flush(out);
    }
    return Tensor.of(DType.FLOAT, shape, out);
  }

  /**
   * The patches of {@code width} output pixels from pixel {@code p0} (counted over the batch, {@code pixels} per
   * image), one array per tap in (kh, kw, ci) order.
   */
  private static float[][] patchesByTap(float[] x, int p0, int width, int pixels, int h, int w, int c, int kh, int kw,
      int[] stride, int[] dil, int padT, int padL, int outW) {
    float[][] taps = new float[kh * kw * c][width];
    // pixel-major: each pixel's channels are contiguous in x; positions outside the image stay zero
    for (int px = 0; px < width; px++) {
      int b = (p0 + px) / pixels;
      int inImage = (p0 + px) % pixels;
      int r = inImage / outW;
      int col = inImage % outW;
      int tap = 0;
      for (int i = 0; i < kh; i++) {
        int ih = r * stride[0] - padT + i * dil[0];
        for (int j = 0; j < kw; j++) {
          int iw = col * stride[1] - padL + j * dil[1];
          if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
            tap += c;
            continue;
          }
          int src = ((b * h + ih) * w + iw) * c;
          for (int ch = 0; ch < c; ch++) {
            taps[tap++][px] = x[src + ch];
          }
        }
      }
    }
    return taps;
  }

  /**
   * The patches of {@code height} output pixels from pixel {@code p0} (counted over the batch, {@code pixels} per
   * image) as the rows of {@code dst}, each in (kh, kw, ci) order, zeros outside the image.
   */
  private static void patchRows(float[] x, int p0, int height, int pixels, int h, int w, int c, int kh, int kw,
      int[] stride, int[] dil, int padT, int padL, int outW, float[] dst) {
    int k = kh * kw * c;
    for (int px = 0; px < height; px++) {
      int b = (p0 + px) / pixels;
      int inImage = (p0 + px) % pixels;
      int r = inImage / outW;
      int col = inImage % outW;
      int pos = px * k;
      for (int i = 0; i < kh; i++) {
        int ih = r * stride[0] - padT + i * dil[0];
        for (int j = 0; j < kw; j++) {
          int iw = col * stride[1] - padL + j * dil[1];
          if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
            Arrays.fill(dst, pos, pos + c, 0f);
          } else if (c < 16) {
            // a first layer's 1-4 channels: arraycopy's call costs more than the copy
            int src = ((b * h + ih) * w + iw) * c;
            for (int ch = 0; ch < c; ch++) {
              dst[pos + ch] = x[src + ch];
            }
          } else {
            System.arraycopy(x, ((b * h + ih) * w + iw) * c, dst, pos, c);
          }
          pos += c;
        }
      }
    }
  }

  private static void im2col(double[] xd, float[] xf, double[] pd, float[] pf, int b, int r, int h, int w, int c,
      int kh, int kw, int[] stride, int[] dil, int padT, int padL, int outW) {
    int k = kh * kw * c;
    for (int col = 0; col < outW; col++) {
      int base = col * k;
      int pos = 0;
      for (int i = 0; i < kh; i++) {
        int ih = r * stride[0] - padT + i * dil[0];
        for (int j = 0; j < kw; j++) {
          int iw = col * stride[1] - padL + j * dil[1];
          if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
            if (pf != null) {
              Arrays.fill(pf, base + pos, base + pos + c, 0f);
            } else {
              Arrays.fill(pd, base + pos, base + pos + c, 0d);
            }
          } else {
            int src = ((b * h + ih) * w + iw) * c;
            if (pf != null) {
              System.arraycopy(xf, src, pf, base + pos, c);
            } else {
              System.arraycopy(xd, src, pd, base + pos, c);
            }
          }
          pos += c;
        }
      }
    }
  }

  /**
   * Conv2DBackpropInput (transposed convolution): every input-gradient element sums, over the filter taps that
   * reach it (row-major) and the output channels, out_backprop times filter.
   */
  private static void conv2dBackpropInput(OpContext ctx) {
    boolean nchw = nchw(ctx);
    long[] sizes = ctx.input(0).toLongs();
    Tensor f = ctx.input(1);
    Tensor g = ctx.input(2);
    if (sizes.length != 4 || f.rank() != 4 || g.rank() != 4) {
      throw new KernelException("input_sizes must have 4 elements, filter and out_backprop 4 dimensions");
    }
    if (f.dtype() != DType.FLOAT) {
      throw new KernelException(ctx.op() + " on " + f.dtype() + " is not supported by the runtime");
    }
    if (nchw) {
      g = toNhwc(g);
      sizes = new long[] {sizes[0], sizes[2], sizes[3], sizes[1]};
    }
    int[] stride = hw(ctx.attrInts("strides", null), nchw, 1);
    int[] dil = hw(ctx.attrInts("dilations", null), nchw, 1);
    String padding = ctx.attrString("padding", "VALID");
    long[] explicit = explicitHw(ctx, nchw);
    int n = (int) sizes[0];
    int h = (int) sizes[1];
    int w = (int) sizes[2];
    int ci = (int) sizes[3];
    int kh = f.dim(0);
    int kw = f.dim(1);
    int co = f.dim(3);
    int[] oh = window(h, kh, stride[0], dil[0], padding, explicit, 0);
    int[] ow = window(w, kw, stride[1], dil[1], padding, explicit, 1);
    if (f.dim(2) != ci || g.dim(0) != n || g.dim(1) != oh[0] || g.dim(2) != ow[0] || g.dim(3) != co) {
      throw new KernelException("out_backprop " + g.shape() + " and filter " + f.shape() + " do not match "
          + "input_sizes " + java.util.Arrays.toString(sizes));
    }
    float[] gv = g.floats();
    float[] fv = f.floats();
    float[] out = new float[n * h * w * ci];
    int outH = oh[0];
    int outW = ow[0];
    Parallel.forRangeCost(n * h, (long) w * kh * kw * ci * co, (lo, hi) -> {
      for (int task = lo; task < hi; task++) {
        int b = task / h;
        int ih = task % h;
        for (int iw = 0; iw < w; iw++) {
          int o = (task * w + iw) * ci;
          for (int i = 0; i < kh; i++) {
            int num = ih + oh[1] - i * dil[0];
            if (num < 0 || num % stride[0] != 0 || num / stride[0] >= outH) {
              continue;
            }
            int y = num / stride[0];
            for (int j = 0; j < kw; j++) {
              int numW = iw + ow[1] - j * dil[1];
              if (numW < 0 || numW % stride[1] != 0 || numW / stride[1] >= outW) {
                continue;
              }
              int x = numW / stride[1];
              int gb = ((b * outH + y) * outW + x) * co;
              int fb = (i * kw + j) * ci * co;
              for (int c = 0; c < ci; c++) {
                float acc = out[o + c];
                int fc = fb + c * co;
                for (int q = 0; q < co; q++) {
                  acc += gv[gb + q] * fv[fc + q];
                }
                out[o + c] = acc;
              }
            }
          }
        }
      }
    });
    Tensor y = Tensor.of(DType.FLOAT, Shape.of(n, h, w, ci), Denormals.flush(out));
    ctx.output(0, nchw ? toNchw(y) : y);
  }

  private static void depthwise(OpContext ctx) {
    boolean nchw = nchw(ctx);
    Tensor x = ctx.input(0);
    Tensor f = ctx.input(1);
    if (x.rank() != 4 || f.rank() != 4) {
      throw new KernelException("input and filter must be 4-dimensional: " + x.shape() + " " + f.shape());
    }
    if (x.dtype() != DType.FLOAT) {
      throw new KernelException("DepthwiseConv2dNative on " + x.dtype() + " is not supported by the runtime");
    }
    if (nchw) {
      x = toNhwc(x);
    }
    int[] stride = hw(ctx.attrInts("strides", null), nchw, 1);
    int[] dil = hw(ctx.attrInts("dilations", null), nchw, 1);
    String padding = ctx.attrString("padding", "VALID");
    long[] explicit = explicitHw(ctx, nchw);
    int n = x.dim(0);
    int h = x.dim(1);
    int w = x.dim(2);
    int c = x.dim(3);
    int kh = f.dim(0);
    int kw = f.dim(1);
    int mult = f.dim(3);
    if (f.dim(2) != c) {
      throw new KernelException("input depth " + c + " must equal the filter's in_channels " + f.dim(2));
    }
    int[] oh = window(h, kh, stride[0], dil[0], padding, explicit, 0);
    int[] ow = window(w, kw, stride[1], dil[1], padding, explicit, 1);
    int outH = oh[0];
    int outW = ow[0];
    int oc = c * mult;
    float[] xv = x.floats();
    float[] fv = f.floats();
    float[] out = new float[n * outH * outW * oc];
    Parallel.forRangeCost(n * outH, (long) outW * kh * kw * oc, (lo, hi) -> {
      for (int task = lo; task < hi; task++) {
        int b = task / outH;
        int r = task % outH;
        for (int col = 0; col < outW; col++) {
          int o = (task * outW + col) * oc;
          for (int i = 0; i < kh; i++) {
            int ih = r * stride[0] - oh[1] + i * dil[0];
            for (int j = 0; j < kw; j++) {
              int iw = col * stride[1] - ow[1] + j * dil[1];
              int fo = (i * kw + j) * oc;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                for (int q = 0; q < oc; q++) {
                  out[o + q] += 0f * fv[fo + q];
                }
                continue;
              }
              int src = ((b * h + ih) * w + iw) * c;
              for (int ch = 0; ch < c; ch++) {
                float v = xv[src + ch];
                int base = ch * mult;
                for (int m = 0; m < mult; m++) {
                  out[o + base + m] += v * fv[fo + base + m];
                }
              }
            }
          }
        }
      }
    });
    Tensor y = Tensor.of(DType.FLOAT, Shape.of(n, outH, outW, oc), Denormals.flush(out));
    ctx.output(0, nchw ? toNchw(y) : y);
  }

  /** MaxPool/AvgPool: the window's max, or its sum over valid (unpadded) elements in row-major order / count. */
  /**
   * Float max pooling without the generic loop's dtype and mode tests per element. Same semantics: the first of equal
   * values wins (so the sign of a zero is the first zero's) and a NaN never wins ({@code v > acc} is false).
   */
  private static void maxPoolFloat(float[] x, float[] out, int n, int h, int w, int c, int[] k, int[] s, int padT,
      int padL, int outH, int outW) {
    if (Gemm.VECTOR) {
      Parallel.forRangeCost(n * outH, (long) outW * k[0] * k[1] * c,
          (lo, hi) -> VectorMaxPool.rows(x, out, h, w, c, k, s, padT, padL, outH, outW, lo, hi));
      return;
    }
    Parallel.forRangeCost(n * outH, (long) outW * k[0] * k[1] * c, (lo, hi) -> {
      float[] acc = new float[c];
      for (int task = lo; task < hi; task++) {
        int b = task / outH;
        int r = task % outH;
        int h0 = r * s[0] - padT;
        for (int col = 0; col < outW; col++) {
          int w0 = col * s[1] - padL;
          Arrays.fill(acc, -Float.MAX_VALUE);
          for (int ih = Math.max(h0, 0); ih < Math.min(h0 + k[0], h); ih++) {
            for (int iw = Math.max(w0, 0); iw < Math.min(w0 + k[1], w); iw++) {
              int src = ((b * h + ih) * w + iw) * c;
              for (int ch = 0; ch < c; ch++) {
                float v = x[src + ch];
                if (v > acc[ch]) {
                  acc[ch] = v;
                }
              }
            }
          }
          int o = (task * outW + col) * c;
          for (int ch = 0; ch < c; ch++) {
            out[o + ch] = Denormals.flush(acc[ch]);
          }
        }
      }
    });
  }

  private static void pool(OpContext ctx, boolean max, long[] ksize, long[] strides) {
    boolean nchw = nchw(ctx);
    Tensor x = ctx.input(0);
    if (x.rank() != 4) {
      throw new KernelException("input must be 4-dimensional: " + x.shape());
    }
    if (x.dtype() != DType.FLOAT && x.dtype() != DType.DOUBLE) {
      throw new KernelException(ctx.op() + " on " + x.dtype() + " is not supported by the runtime");
    }
    if (ksize == null || strides == null || ksize.length != 4 || strides.length != 4) {
      throw new KernelException("ksize and strides must have 4 elements");
    }
    if ((nchw ? ksize[0] * ksize[1] : ksize[0] * ksize[3]) != 1) {
      throw new KernelException("pooling over the batch or depth dimension is not supported by the runtime");
    }
    if (nchw) {
      x = toNhwc(x);
    }
    int[] k = hw(ksize, nchw, 1);
    int[] s = hw(strides, nchw, 1);
    String padding = ctx.attrString("padding", "VALID");
    int n = x.dim(0);
    int h = x.dim(1);
    int w = x.dim(2);
    int c = x.dim(3);
    int[] oh = window(h, k[0], s[0], 1, padding, null, 0);
    int[] ow = window(w, k[1], s[1], 1, padding, null, 1);
    int outH = oh[0];
    int outW = ow[0];
    boolean isFloat = x.dtype() == DType.FLOAT;
    float[] xf = isFloat ? x.floats() : null;
    double[] xd = isFloat ? null : x.doubles();
    float[] of = isFloat ? new float[n * outH * outW * c] : null;
    double[] od = isFloat ? null : new double[n * outH * outW * c];
    if (isFloat && max) {
      maxPoolFloat(xf, of, n, h, w, c, k, s, oh[1], ow[1], outH, outW);
      Tensor y = Tensor.of(DType.FLOAT, Shape.of(n, outH, outW, c), of);
      ctx.output(0, nchw ? toNchw(y) : y);
      return;
    }
    Parallel.forRangeCost(n * outH, (long) outW * k[0] * k[1] * c, (lo, hi) -> {
      float[] accF = new float[c];
      double[] accD = new double[c];
      for (int task = lo; task < hi; task++) {
        int b = task / outH;
        int r = task % outH;
        int h0 = r * s[0] - oh[1];
        for (int col = 0; col < outW; col++) {
          int w0 = col * s[1] - ow[1];
          Arrays.fill(accF, max ? -Float.MAX_VALUE : 0f);
          Arrays.fill(accD, max ? -Double.MAX_VALUE : 0d);
          int count = 0;
          for (int ih = Math.max(h0, 0); ih < Math.min(h0 + k[0], h); ih++) {
            for (int iw = Math.max(w0, 0); iw < Math.min(w0 + k[1], w); iw++) {
              int src = ((b * h + ih) * w + iw) * c;
              count++;
              for (int ch = 0; ch < c; ch++) {
                if (isFloat) {
                  float v = xf[src + ch];
                  accF[ch] = max ? (v > accF[ch] ? v : accF[ch]) : accF[ch] + v;
                } else {
                  double v = xd[src + ch];
                  accD[ch] = max ? (v > accD[ch] ? v : accD[ch]) : accD[ch] + v;
                }
              }
            }
          }
          int o = (task * outW + col) * c;
          for (int ch = 0; ch < c; ch++) {
            if (isFloat) {
              of[o + ch] = Denormals.flush(max ? accF[ch] : accF[ch] / count);
            } else {
              od[o + ch] = max ? accD[ch] : accD[ch] / count;
            }
          }
        }
      }
    });
    Shape shape = Shape.of(n, outH, outW, c);
    Tensor y = isFloat ? Tensor.of(DType.FLOAT, shape, of) : Tensor.of(DType.DOUBLE, shape, od);
    ctx.output(0, nchw ? toNchw(y) : y);
  }

  /**
   * FusedBatchNorm (all versions). Inference ({@code is_training=false}) computes TF's
   * {@code (x - mean) * (rsqrt(variance + epsilon) * scale) + offset} in float32; training mode normalizes with the
   * batch's own mean and (biased) variance.
   */
  private static void fusedBatchNorm(OpContext ctx) {
    boolean nchw = nchw(ctx);
    Tensor x = ctx.input(0);
    if (x.dtype() != DType.FLOAT) {
      throw new KernelException(ctx.op() + " on " + x.dtype() + " is not supported by the runtime");
    }
    if (x.rank() != 4) {
      throw new KernelException("input must be 4-dimensional: " + x.shape());
    }
    if (nchw) {
      x = toNhwc(x);
    }
    float[] scale = ctx.input(1).floats();
    float[] offset = ctx.input(2).floats();
    float eps = ctx.attrFloat("epsilon", 0.0001f);
    boolean training = ctx.attrBool("is_training", true);
    int c = x.dim(3);
    int rows = x.size() / Math.max(c, 1);
    float[] xv = x.floats();
    float[] mean;
    float[] var;
    float[] varOut;
    if (training) {
      mean = new float[c];
      var = new float[c];
      varOut = new float[c];
      for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
          s += xv[r * c + ch];
        }
        double m = s / rows;
        double v = 0;
        for (int r = 0; r < rows; r++) {
          double dd = xv[r * c + ch] - m;
          v += dd * dd;
        }
        mean[ch] = (float) m;
        var[ch] = (float) (v / rows);
        varOut[ch] = (float) (rows > 1 ? v / (rows - 1) : v);
      }
    } else {
      mean = ctx.input(3).floats();
      var = ctx.input(4).floats();
      varOut = var;
    }
    if (scale.length != c || offset.length != c || mean.length != c || var.length != c) {
      throw new KernelException("scale, offset, mean and variance must have " + c + " elements");
    }
    float[] factor = new float[c];
    for (int ch = 0; ch < c; ch++) {
      factor[ch] = (float) (1.0 / Math.sqrt(var[ch] + eps)) * scale[ch];
    }
    float[] y = new float[xv.length];
    Parallel.forRangeCost(rows, c, (lo, hi) -> {
      for (int r = lo; r < hi; r++) {
        int base = r * c;
        for (int ch = 0; ch < c; ch++) {
          y[base + ch] = Denormals.flush((xv[base + ch] - mean[ch]) * factor[ch] + offset[ch]);
        }
      }
    });
    Tensor out = Tensor.of(DType.FLOAT, x.shape(), y);
    ctx.output(0, nchw ? toNchw(out) : out);
    ctx.output(1, Tensor.ofFloats(new long[] {c}, mean.clone()));
    ctx.output(2, Tensor.ofFloats(new long[] {c}, varOut.clone()));
    ctx.output(3, Tensor.ofFloats(new long[] {c}, mean.clone()));
    ctx.output(4, Tensor.ofFloats(new long[] {c}, var.clone()));
    ctx.output(5, Tensor.ofFloats(new long[] {0}));
  }

  /**
   * Softmax over the last dimension as TF computes it: {@code e = exp(x - max)}, then {@code e * (1 / sum(e))};
   * LogSoftmax is {@code (x - max) - log(sum(exp(x - max)))}. Sums accumulate in float64.
   */
  static Tensor softmax(Tensor x, boolean log) {
    if (x.rank() < 1) {
      throw new KernelException("logits must have >= 1 dimension, got " + x.shape());
    }
    int c = x.dim(-1);
    int rows = c == 0 ? 0 : x.size() / c;
    if (x.dtype() == DType.DOUBLE) {
      double[] a = x.doubles();
      double[] o = new double[a.length];
      for (int r = 0; r < rows; r++) {
        int base = r * c;
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < c; i++) {
          m = Math.max(m, a[base + i]);
        }
        double s = 0;
        for (int i = 0; i < c; i++) {
          double e = Math.exp(a[base + i] - m);
          o[base + i] = log ? a[base + i] - m : e;
          s += e;
        }
        double inv = 1.0 / s;
        double ls = Math.log(s);
        for (int i = 0; i < c; i++) {
          o[base + i] = log ? o[base + i] - ls : o[base + i] * inv;
        }
      }
      return Tensor.of(DType.DOUBLE, x.shape(), o);
    }
    if (x.dtype() != DType.FLOAT) {
      throw new KernelException("Softmax on " + x.dtype() + " is not supported by the runtime");
    }
    float[] a = x.floats();
    float[] o = new float[a.length];
    Parallel.forRangeCost(rows, (long) c * 8, (lo, hi) -> {
      for (int r = lo; r < hi; r++) {
        int base = r * c;
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < c; i++) {
          float v = a[base + i];
          m = v > m || Float.isNaN(v) ? v : m;
        }
        double s = 0;
        for (int i = 0; i < c; i++) {
          float shifted = a[base + i] - m;
          float e = Denormals.flush((float) Math.exp(shifted));
          o[base + i] = log ? shifted : e;
          s += e;
        }
        if (log) {
          float ls = (float) Math.log((float) s);
          for (int i = 0; i < c; i++) {
            o[base + i] = o[base + i] - ls;
          }
        } else {
          float inv = 1f / (float) s;
          for (int i = 0; i < c; i++) {
            o[base + i] = Denormals.flush(o[base + i] * inv);
          }
        }
      }
    });
    return Tensor.of(DType.FLOAT, x.shape(), o);
  }
}
