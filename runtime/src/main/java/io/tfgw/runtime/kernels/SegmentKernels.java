package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.function.BiConsumer;

/**
 * Segment reductions: UnsortedSegmentSum/Max/Min/Prod and the sorted Segment* versions, accumulating rows in index
 * order as TF's CPU kernels do; and the space/batch reshuffles of atrous convolutions.
 */
final class SegmentKernels {
  private SegmentKernels() {}

  private enum Kind { SUM, MAX, MIN, PROD }

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("UnsortedSegmentSum", ctx -> segment(ctx, Kind.SUM, ctx.input(2).getLong(0)));
    r.accept("UnsortedSegmentMax", ctx -> segment(ctx, Kind.MAX, ctx.input(2).getLong(0)));
    r.accept("UnsortedSegmentMin", ctx -> segment(ctx, Kind.MIN, ctx.input(2).getLong(0)));
    r.accept("UnsortedSegmentProd", ctx -> segment(ctx, Kind.PROD, ctx.input(2).getLong(0)));
    r.accept("SegmentSum", ctx -> segment(ctx, Kind.SUM, -1));
    r.accept("SegmentMax", ctx -> segment(ctx, Kind.MAX, -1));
    r.accept("SegmentMin", ctx -> segment(ctx, Kind.MIN, -1));
    r.accept("SegmentProd", ctx -> segment(ctx, Kind.PROD, -1));
    r.accept("SpaceToBatchND", ctx -> ctx.output(0, spaceToBatch(ctx.input(0), ctx.input(1).toLongs(),
        ctx.input(2).toLongs())));
    r.accept("BatchToSpaceND", ctx -> ctx.output(0, batchToSpace(ctx.input(0), ctx.input(1).toLongs(),
        ctx.input(2).toLongs())));
  }

  private static void segment(OpContext ctx, Kind kind, long numSegments) {
    Tensor data = ctx.input(0);
    Tensor ids = ctx.input(1);
    int idRank = ids.rank();
    for (int i = 0; i < idRank; i++) {
      if (data.rank() <= i || data.dim(i) != ids.dim(i)) {
        throw new KernelException("segment_ids.shape " + ids.shape() + " must be a prefix of data.shape "
            + data.shape());
      }
    }
    int n = ids.size();
    int inner = n == 0 ? 0 : data.size() / n;
    if (numSegments < 0) {
      numSegments = 0;
      for (int i = 0; i < n; i++) {
        long id = ids.getLong(i);
        if (i > 0 && id < ids.getLong(i - 1)) {
          throw new KernelException("segment ids are not increasing");
        }
        numSegments = Math.max(numSegments, id + 1);
      }
    }
    long[] outDims = new long[data.rank() - idRank + 1];
    outDims[0] = numSegments;
    for (int i = idRank; i < data.rank(); i++) {
      outDims[i - idRank + 1] = data.dim(i);
    }
    int segs = (int) numSegments;
    boolean sorted = !ctx.op().startsWith("Unsorted");
    if (data.dtype() != DType.FLOAT && data.dtype() != DType.DOUBLE && data.dtype() != DType.INT32
        && data.dtype() != DType.INT64) {
      throw Elementwise.unsupported(ctx, data.dtype());
    }
    double init = kind == Kind.SUM ? 0 : kind == Kind.PROD ? 1 : kind == Kind.MAX ? Double.NEGATIVE_INFINITY
        : Double.POSITIVE_INFINITY;
    if (data.dtype() == DType.FLOAT) {
      float[] a = data.floats();
      float[] o = new float[segs * inner];
      float fi = kind == Kind.MAX ? -Float.MAX_VALUE : kind == Kind.MIN ? Float.MAX_VALUE : (float) init;
      java.util.Arrays.fill(o, fi);
      for (int i = 0; i < n; i++) {
        long id = checkId(ids.getLong(i), segs, i);
        if (id < 0) {
          continue;
        }
        int base = (int) id * inner;
        for (int k = 0; k < inner; k++) {
          float v = a[i * inner + k];
          float cur = o[base + k];
          o[base + k] = Denormals.flush(kind == Kind.SUM ? cur + v : kind == Kind.PROD ? cur * v
              : kind == Kind.MAX ? Math.max(cur, v) : Math.min(cur, v));
        }
      }
      if (sorted) {
        zeroEmpty(o, ids, segs, inner);
      }
      ctx.output(0, Tensor.of(DType.FLOAT, Shape.of(outDims), o));
      return;
    }
    double[] o = new double[segs * inner];
    long[] lo = new long[segs * inner];
    boolean isInt = data.dtype() == DType.INT32 || data.dtype() == DType.INT64;
    long li = kind == Kind.SUM ? 0 : kind == Kind.PROD ? 1 : kind == Kind.MAX
        ? (data.dtype() == DType.INT32 ? Integer.MIN_VALUE : Long.MIN_VALUE)
        : (data.dtype() == DType.INT32 ? Integer.MAX_VALUE : Long.MAX_VALUE);
    java.util.Arrays.fill(o, kind == Kind.MAX ? -Double.MAX_VALUE : kind == Kind.MIN ? Double.MAX_VALUE : init);
    java.util.Arrays.fill(lo, li);
    for (int i = 0; i < n; i++) {
      long id = checkId(ids.getLong(i), segs, i);
      if (id < 0) {
        continue;
      }
      int base = (int) id * inner;
      for (int k = 0; k < inner; k++) {
        if (isInt) {
          long v = data.getLong(i * inner + k);
          long cur = lo[base + k];
          lo[base + k] = kind == Kind.SUM ? cur + v : kind == Kind.PROD ? cur * v
              : kind == Kind.MAX ? Math.max(cur, v) : Math.min(cur, v);
        } else {
          double v = data.doubles()[i * inner + k];
          double cur = o[base + k];
          o[base + k] = kind == Kind.SUM ? cur + v : kind == Kind.PROD ? cur * v
              : kind == Kind.MAX ? Math.max(cur, v) : Math.min(cur, v);
        }
      }
    }
    if (sorted) {
      zeroEmpty(o, ids, segs, inner);
      for (int sgm = 0; sgm < segs; sgm++) {
        if (!present(ids, sgm)) {
          java.util.Arrays.fill(lo, sgm * inner, (sgm + 1) * inner, 0L);
        }
      }
    }
    if (isInt) {
      ctx.output(0, Casts.cast(Tensor.of(DType.INT64, Shape.of(outDims), lo), data.dtype()));
    } else {
      ctx.output(0, Tensor.of(DType.DOUBLE, Shape.of(outDims), o));
    }
  }

  /** Sorted segment ops give 0 for segments no row falls in (the unsorted ones give the reduction's identity). */
  private static void zeroEmpty(float[] o, Tensor ids, int segs, int inner) {
    for (int sgm = 0; sgm < segs; sgm++) {
      if (!present(ids, sgm)) {
        java.util.Arrays.fill(o, sgm * inner, (sgm + 1) * inner, 0f);
      }
    }
  }

  private static void zeroEmpty(double[] o, Tensor ids, int segs, int inner) {
    for (int sgm = 0; sgm < segs; sgm++) {
      if (!present(ids, sgm)) {
        java.util.Arrays.fill(o, sgm * inner, (sgm + 1) * inner, 0d);
      }
    }
  }

  private static boolean present(Tensor ids, int segment) {
    for (int i = 0; i < ids.size(); i++) {
      if (ids.getLong(i) == segment) {
        return true;
      }
    }
    return false;
  }

  private static long checkId(long id, int segs, int i) {
    if (id >= segs) {
      throw new KernelException("segment_ids[" + i + "] = " + id + " is out of range [0, " + segs + ")");
    }
    return id;
  }

  static Tensor spaceToBatch(Tensor x, long[] block, long[] paddings) {
    int m = block.length;
    int rank = x.rank();
    if (paddings.length != 2 * m || rank < m + 1) {
      throw new KernelException("block_shape and paddings do not match input of shape " + x.shape());
    }
    long[] pad = new long[2 * rank];
    System.arraycopy(paddings, 0, pad, 2, 2 * m);
    Tensor padded = ArrayKernels.pad(x, Tensor.ofLongs(new long[] {rank, 2}, pad), null);
    long batch = padded.dim(0);
    long[] dims = new long[1 + 2 * m + (rank - 1 - m)];
    dims[0] = batch;
    long blocks = 1;
    for (int i = 0; i < m; i++) {
      long p = padded.dim(i + 1);
      if (block[i] <= 0 || p % block[i] != 0) {
        throw new KernelException("padded dimension " + (i + 1) + " (" + p + ") is not divisible by block_shape["
            + i + "] = " + block[i]);
      }
      dims[1 + 2 * i] = p / block[i];
      dims[2 + 2 * i] = block[i];
      blocks *= block[i];
    }
    for (int i = m + 1; i < rank; i++) {
      dims[2 * m + 1 + (i - m - 1)] = padded.dim(i);
    }
    Tensor r = padded.reshape(Shape.of(dims));
    long[] perm = new long[dims.length];
    int k = 0;
    for (int i = 0; i < m; i++) {
      perm[k++] = 2 + 2 * i;
    }
    perm[k++] = 0;
    for (int i = 0; i < m; i++) {
      perm[k++] = 1 + 2 * i;
    }
    for (int i = 2 * m + 1; i < dims.length; i++) {
      perm[k++] = i;
    }
    Tensor t = ArrayKernels.transpose(r, perm);
    long[] out = new long[rank];
    out[0] = batch * blocks;
    for (int i = 0; i < m; i++) {
      out[i + 1] = dims[1 + 2 * i];
    }
    for (int i = m + 1; i < rank; i++) {
      out[i] = padded.dim(i);
    }
    return t.reshape(Shape.of(out));
  }

  static Tensor batchToSpace(Tensor x, long[] block, long[] crops) {
    int m = block.length;
    int rank = x.rank();
    long blocks = 1;
    for (long b : block) {
      blocks *= b;
    }
    if (blocks <= 0 || x.dim(0) % blocks != 0 || crops.length != 2 * m) {
      throw new KernelException("input batch " + x.dim(0) + " is not divisible by the product of block_shape");
    }
    long batch = x.dim(0) / blocks;
    long[] dims = new long[m + rank];
    for (int i = 0; i < m; i++) {
      dims[i] = block[i];
    }
    dims[m] = batch;
    for (int i = 1; i < rank; i++) {
      dims[m + i] = x.dim(i);
    }
    Tensor r = x.reshape(Shape.of(dims));
    long[] perm = new long[dims.length];
    int k = 0;
    perm[k++] = m;
    for (int i = 0; i < m; i++) {
      perm[k++] = m + 1 + i;
      perm[k++] = i;
    }
    for (int i = m + 1 + m; i < dims.length; i++) {
      perm[k++] = i;
    }
    Tensor t = ArrayKernels.transpose(r, perm);
    long[] full = new long[rank];
    full[0] = batch;
    for (int i = 0; i < m; i++) {
      full[i + 1] = x.dim(i + 1) * block[i];
    }
    for (int i = m + 1; i < rank; i++) {
      full[i] = x.dim(i);
    }
    Tensor spread = t.reshape(Shape.of(full));
    int[] strides = Strided.strides(full);
    long[] outDims = full.clone();
    int offset = 0;
    for (int i = 0; i < m; i++) {
      long lo = crops[2 * i];
      long hi = crops[2 * i + 1];
      if (lo < 0 || hi < 0 || lo + hi > full[i + 1]) {
        throw new KernelException("crops must be non-negative and fit dimension " + (i + 1));
      }
      outDims[i + 1] = full[i + 1] - lo - hi;
      offset += (int) lo * strides[i + 1];
    }
    return ArrayKernels.strided(spread, offset, strides, outDims);
  }
}
