package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.function.BiConsumer;

/**
 * Reductions over axes (Sum, Mean, Prod, Max, Min, All, Any) and ArgMax/ArgMin. Float32 sums and products
 * accumulate in float64 and round once, so they are at least as accurate as TF's (whose vectorized summation order
 * cannot be reproduced); Mean divides the rounded sum by the count in the input dtype as TF does.
 */
final class ReductionKernels {
  private ReductionKernels() {}

  private enum Kind { SUM, MEAN, PROD, MAX, MIN, ALL, ANY }

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("Sum", reduction(Kind.SUM));
    r.accept("Mean", reduction(Kind.MEAN));
    r.accept("Prod", reduction(Kind.PROD));
    r.accept("Max", reduction(Kind.MAX));
    r.accept("Min", reduction(Kind.MIN));
    r.accept("All", reduction(Kind.ALL));
    r.accept("Any", reduction(Kind.ANY));
    r.accept("ArgMax", ctx -> argReduce(ctx, true));
    r.accept("ArgMin", ctx -> argReduce(ctx, false));
  }

  /** The input viewed as [outer, inner] with the reduced dims last (a transposed copy when needed). */
  record Plan(Tensor rows, int outer, int inner, long[] outDims) {}

  static Plan plan(Tensor x, long[] axes, boolean keepDims) {
    int rank = x.rank();
    boolean[] reduced = new boolean[rank];
    for (long a : axes) {
      if (a < -rank || a >= rank) {
        throw new KernelException("Invalid reduction dimension (" + a + " for input with " + rank + " dimension(s)");
      }
      reduced[(int) (a < 0 ? a + rank : a)] = true;
    }
    long[] perm = new long[rank];
    int k = 0;
    int outer = 1;
    int inner = 1;
    java.util.List<Long> outDims = new java.util.ArrayList<>();
    for (int i = 0; i < rank; i++) {
      if (!reduced[i]) {
        perm[k++] = i;
        outer *= x.dim(i);
        outDims.add((long) x.dim(i));
      } else if (keepDims) {
        outDims.add(1L);
      }
    }
    boolean inOrder = true;
    for (int i = 0; i < rank; i++) {
      if (reduced[i]) {
        if (k != i) {
          inOrder = false;
        }
        perm[k++] = i;
        inner *= x.dim(i);
      }
    }
    for (int i = 0; i < rank; i++) {
      if (perm[i] != i) {
        inOrder = false;
      }
    }
    Tensor rows = inOrder ? x : ArrayKernels.transpose(x, perm);
    return new Plan(rows, outer, inner, outDims.stream().mapToLong(Long::longValue).toArray());
  }

  private static OpKernel reduction(Kind kind) {
    return ctx -> {
      Tensor x = ctx.input(0);
      Plan p = plan(x, ctx.input(1).toLongs(), ctx.attrBool("keep_dims", false));
      ctx.output(0, reduce(ctx, kind, x.dtype(), p));
    };
  }

  /** The sum over a plan's inner dimension (Einsum's summed-out labels). */
  static Tensor sum(Plan p, DType dtype) {
    return reduce(null, Kind.SUM, dtype, p);
  }

  private static Tensor reduce(OpContext ctx, Kind kind, DType dtype, Plan p) {
    int outer = p.outer;
    int inner = p.inner;
    Shape shape = Shape.of(p.outDims);
    switch (dtype) {
      case FLOAT: {
        float[] a = p.rows.floats();
        float[] o = new float[outer];
        Parallel.forRangeCost(outer, inner, (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            int base = r * inner;
            switch (kind) {
              case SUM: case MEAN: {
                double s = 0;
                for (int i = 0; i < inner; i++) {
                  s += a[base + i];
                }
                o[r] = Denormals.flush(kind == Kind.MEAN ? (float) s / (float) inner : (float) s);
                break;
              }
              case PROD: {
                double s = 1;
                for (int i = 0; i < inner; i++) {
                  s *= a[base + i];
                }
                o[r] = Denormals.flush((float) s);
                break;
              }
              case MAX: {
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < inner; i++) {
                  float v = a[base + i];
                  if (v > m || Float.isNaN(v)) {
                    m = v;
                    if (Float.isNaN(v)) {
                      break;
                    }
                  }
                }
                o[r] = m;
                break;
              }
              case MIN: {
                float m = Float.POSITIVE_INFINITY;
                for (int i = 0; i < inner; i++) {
                  float v = a[base + i];
                  if (v < m || Float.isNaN(v)) {
                    m = v;
                    if (Float.isNaN(v)) {
                      break;
                    }
                  }
                }
                o[r] = m;
                break;
              }
              default:
                throw Elementwise.unsupported(ctx, dtype);
            }
          }
        });
        return Tensor.of(dtype, shape, o);
      }
      case DOUBLE: {
        double[] a = p.rows.doubles();
        double[] o = new double[outer];
        for (int r = 0; r < outer; r++) {
          int base = r * inner;
          double acc = kind == Kind.PROD ? 1 : kind == Kind.MAX ? Double.NEGATIVE_INFINITY
              : kind == Kind.MIN ? Double.POSITIVE_INFINITY : 0;
          for (int i = 0; i < inner; i++) {
            double v = a[base + i];
            switch (kind) {
              case SUM: case MEAN:
                acc += v;
                break;
              case PROD:
                acc *= v;
                break;
              case MAX:
                acc = Double.isNaN(acc) || Double.isNaN(v) ? Double.NaN : Math.max(acc, v);
                break;
              case MIN:
                acc = Double.isNaN(acc) || Double.isNaN(v) ? Double.NaN : Math.min(acc, v);
                break;
              default:
                throw Elementwise.unsupported(ctx, dtype);
            }
          }
          o[r] = kind == Kind.MEAN ? acc / inner : acc;
        }
        return Tensor.of(dtype, shape, o);
      }
      case INT32: case INT64: {
        long[] o = new long[outer];
        Tensor rows = p.rows;
        for (int r = 0; r < outer; r++) {
          int base = r * inner;
          long acc = kind == Kind.PROD ? 1 : kind == Kind.MAX ? Long.MIN_VALUE : kind == Kind.MIN ? Long.MAX_VALUE : 0;
          if (dtype == DType.INT32 && kind == Kind.MAX) {
            acc = Integer.MIN_VALUE;
          } else if (dtype == DType.INT32 && kind == Kind.MIN) {
            acc = Integer.MAX_VALUE;
          }
          for (int i = 0; i < inner; i++) {
            long v = rows.getLong(base + i);
            switch (kind) {
              case SUM: case MEAN:
                acc += v;
                break;
              case PROD:
                acc *= v;
                break;
              case MAX:
                acc = Math.max(acc, v);
                break;
              case MIN:
                acc = Math.min(acc, v);
                break;
              default:
                throw Elementwise.unsupported(ctx, dtype);
            }
          }
          if (dtype == DType.INT32) {
            acc = (int) acc;
          }
          o[r] = kind == Kind.MEAN ? (inner == 0 ? 0 : acc / inner) : acc;
        }
        return Casts.cast(Tensor.of(DType.INT64, shape, o), dtype);
      }
      case BOOL: {
        if (kind != Kind.ALL && kind != Kind.ANY) {
          throw Elementwise.unsupported(ctx, dtype);
        }
        boolean[] a = p.rows.bools();
        boolean[] o = new boolean[outer];
        for (int r = 0; r < outer; r++) {
          boolean acc = kind == Kind.ALL;
          for (int i = 0; i < inner; i++) {
            acc = kind == Kind.ALL ? acc && a[r * inner + i] : acc || a[r * inner + i];
          }
          o[r] = acc;
        }
        return Tensor.of(dtype, shape, o);
      }
      default:
        throw Elementwise.unsupported(ctx, dtype);
    }
  }

  private static void argReduce(OpContext ctx, boolean max) {
    Tensor x = ctx.input(0);
    long axis = ctx.input(1).getLong(0);
    if (x.rank() == 0) {
      throw new KernelException("Expected a tensor of rank >= 1 for ArgMax/ArgMin");
    }
    Plan p = plan(x, new long[] {axis}, false);
    if (p.inner == 0) {
      throw new KernelException("Reduction axis " + axis + " is empty in shape " + x.shape());
    }
    long[] o = new long[p.outer];
    Tensor rows = p.rows;
    for (int r = 0; r < p.outer; r++) {
      int base = r * p.inner;
      int best = 0;
      double bv = rows.getDouble(base);
      for (int i = 1; i < p.inner; i++) {
        double v = rows.getDouble(base + i);
        if (max ? v > bv : v < bv) {
          bv = v;
          best = i;
        }
      }
      o[r] = best;
    }
    Tensor out = Tensor.of(DType.INT64, Shape.of(p.outDims), o);
    ctx.output(0, Casts.cast(out, ctx.attrType("output_type", DType.INT64)));
  }
}
