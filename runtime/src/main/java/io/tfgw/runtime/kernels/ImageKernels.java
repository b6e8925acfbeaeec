package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.function.BiConsumer;

/** Image ops: bilinear and nearest-neighbour resizing (TF's float arithmetic), local response normalization. */
final class ImageKernels {
  private ImageKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("ResizeBilinear", ImageKernels::resizeBilinear);
    r.accept("ResizeNearestNeighbor", ImageKernels::resizeNearest);
    r.accept("LRN", ImageKernels::lrn);
  }

  private static float scale(int in, int out, boolean alignCorners) {
    return alignCorners && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
  }

  private static int[] size(OpContext ctx, Tensor images) {
    if (images.rank() != 4) {
      throw new KernelException("input must be 4-dimensional: " + images.shape());
    }
    long[] s = ctx.input(1).toLongs();
    if (s.length != 2 || s[0] <= 0 || s[1] <= 0) {
      throw new KernelException("size must be 2 positive values, got " + java.util.Arrays.toString(s));
    }
    return new int[] {(int) s[0], (int) s[1]};
  }

  private static float[] asFloats(Tensor t) {
    return t.dtype() == DType.FLOAT ? t.floats() : Casts.cast(t, DType.FLOAT).floats();
  }

  private static void resizeBilinear(OpContext ctx) {
    Tensor images = ctx.input(0);
    int[] out = size(ctx, images);
    boolean align = ctx.attrBool("align_corners", false);
    boolean half = ctx.attrBool("half_pixel_centers", false);
    int n = images.dim(0);
    int h = images.dim(1);
    int w = images.dim(2);
    int c = images.dim(3);
    float[] x = asFloats(images);
    int[] ylo = new int[out[0]];
    int[] yhi = new int[out[0]];
    float[] ylerp = new float[out[0]];
    int[] xlo = new int[out[1]];
    int[] xhi = new int[out[1]];
    float[] xlerp = new float[out[1]];
    weights(h, out[0], scale(h, out[0], align), half, ylo, yhi, ylerp);
    weights(w, out[1], scale(w, out[1], align), half, xlo, xhi, xlerp);
    float[] o = new float[n * out[0] * out[1] * c];
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < out[0]; y++) {
        int top = (b * h + ylo[y]) * w;
        int bottom = (b * h + yhi[y]) * w;
        for (int xx = 0; xx < out[1]; xx++) {
          int base = ((b * out[0] + y) * out[1] + xx) * c;
          for (int ch = 0; ch < c; ch++) {
            float tl = x[(top + xlo[xx]) * c + ch];
            float tr = x[(top + xhi[xx]) * c + ch];
            float bl = x[(bottom + xlo[xx]) * c + ch];
            float br = x[(bottom + xhi[xx]) * c + ch];
            float t = tl + (tr - tl) * xlerp[xx];
            float bo = bl + (br - bl) * xlerp[xx];
            o[base + ch] = Denormals.flush(t + (bo - t) * ylerp[y]);
          }
        }
      }
    }
    ctx.output(0, Tensor.of(DType.FLOAT, Shape.of(n, out[0], out[1], c), o));
  }

  private static void weights(int in, int out, float scale, boolean half, int[] lo, int[] hi, float[] lerp) {
    for (int i = out - 1; i >= 0; i--) {
      float v = half ? ((float) i + 0.5f) * scale - 0.5f : (float) i * scale;
      float f = (float) Math.floor(v);
      lo[i] = Math.max((int) f, 0);
      hi[i] = Math.min((int) Math.ceil(v), in - 1);
      lerp[i] = v - f;
    }
  }

  private static void resizeNearest(OpContext ctx) {
    Tensor images = ctx.input(0);
    int[] out = size(ctx, images);
    boolean align = ctx.attrBool("align_corners", false);
    boolean half = ctx.attrBool("half_pixel_centers", false);
    int n = images.dim(0);
    int h = images.dim(1);
    int w = images.dim(2);
    int c = images.dim(3);
    int[] ys = nearest(h, out[0], scale(h, out[0], align), align, half);
    int[] xs = nearest(w, out[1], scale(w, out[1], align), align, half);
    Object src = images.array();
    Object o = Tensor.allocate(images.dtype(), n * out[0] * out[1] * c);
    for (int b = 0; b < n; b++) {
      for (int y = 0; y < out[0]; y++) {
        for (int x = 0; x < out[1]; x++) {
          System.arraycopy(src, ((b * h + ys[y]) * w + xs[x]) * c, o, ((b * out[0] + y) * out[1] + x) * c, c);
        }
      }
    }
    ctx.output(0, Tensor.of(images.dtype(), Shape.of(n, out[0], out[1], c), o));
  }

  private static int[] nearest(int in, int out, float scale, boolean align, boolean half) {
    int[] idx = new int[out];
    for (int i = 0; i < out; i++) {
      float v = half ? ((float) i + 0.5f) * scale : (float) i * scale;
      float f = align ? (float) Math.round(v) : (float) Math.floor(v);
      int k = Math.min((int) f, in - 1);
      idx[i] = half ? Math.max(0, k) : k;
    }
    return idx;
  }

  /** LRN: x / (bias + alpha * sum of squares over depth_radius neighbours) ^ beta, along the last dimension. */
  private static void lrn(OpContext ctx) {
    Tensor in = ctx.input(0);
    if (in.rank() != 4 || in.dtype() != DType.FLOAT) {
      throw new KernelException("LRN needs a 4-dimensional float32 input, got " + in.dtype() + in.shape());
    }
    int radius = (int) ctx.attrInt("depth_radius", 5);
    float bias = ctx.attrFloat("bias", 1f);
    float alpha = ctx.attrFloat("alpha", 1f);
    float beta = ctx.attrFloat("beta", 0.5f);
    int depth = in.dim(3);
    int rows = in.size() / Math.max(depth, 1);
    float[] x = in.floats();
    float[] o = new float[x.length];
    for (int r = 0; r < rows; r++) {
      int base = r * depth;
      for (int d = 0; d < depth; d++) {
        double sq = 0;
        for (int k = Math.max(0, d - radius); k <= Math.min(depth - 1, d + radius); k++) {
          sq += (double) x[base + k] * x[base + k];
        }
        double m = Math.pow(bias + alpha * sq, -beta);
        o[base + d] = Denormals.flush((float) (x[base + d] * m));
      }
    }
    ctx.output(0, Tensor.of(DType.FLOAT, in.shape(), o));
  }
}
