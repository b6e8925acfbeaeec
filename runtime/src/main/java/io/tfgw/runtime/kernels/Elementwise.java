package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;

/** Building blocks for elementwise kernels: one function per dtype, broadcasting for binary ops. */
final class Elementwise {
  private Elementwise() {}

  interface F1 {
    float f(float x);
  }

  interface D1 {
    double f(double x);
  }

  interface I1 {
    int f(int x);
  }

  interface L1 {
    long f(long x);
  }

  interface F2 {
    float f(float a, float b);
  }

  interface D2 {
    double f(double a, double b);
  }

  interface I2 {
    int f(int a, int b);
  }

  interface L2 {
    long f(long a, long b);
  }

  interface Z2 {
    boolean f(boolean a, boolean b);
  }

  interface FCmp {
    boolean f(float a, float b);
  }

  interface DCmp {
    boolean f(double a, double b);
  }

  interface ICmp {
    boolean f(int a, int b);
  }

  interface LCmp {
    boolean f(long a, long b);
  }

  static KernelException unsupported(OpContext ctx, DType t) {
    return new KernelException(ctx.op() + " on " + t + " tensors is not supported by the runtime");
  }

  /** A unary kernel; null functions mark dtypes the op does not take. */
  static OpKernel unary(F1 f, D1 d, I1 i, L1 l) {
    return ctx -> ctx.output(0, unary(ctx, ctx.input(0), f, d, i, l, true));
  }

  /** A unary kernel that only moves bits (Neg, Abs): no denormal flushing. */
  static OpKernel bitwise(F1 f, D1 d, I1 i, L1 l) {
    return ctx -> ctx.output(0, unary(ctx, ctx.input(0), f, d, i, l, false));
  }

  static Tensor unary(OpContext ctx, Tensor x, F1 f, D1 d, I1 i, L1 l) {
    return unary(ctx, x, f, d, i, l, true);
  }

  static Tensor unary(OpContext ctx, Tensor x, F1 f, D1 d, I1 i, L1 l, boolean flush) {
    int n = x.size();
    Object out;
    switch (x.dtype()) {
      case FLOAT: {
        if (f == null) {
          throw unsupported(ctx, x.dtype());
        }
        float[] a = x.floats();
        float[] o = new float[n];
        Parallel.forRangeCost(n, 4, (lo, hi) -> {
          if (flush) {
            for (int k = lo; k < hi; k++) {
              o[k] = Denormals.flush(f.f(Denormals.flush(a[k])));
            }
          } else {
            for (int k = lo; k < hi; k++) {
              o[k] = f.f(a[k]);
            }
          }
        });
        out = o;
        break;
      }
      case DOUBLE: {
        if (d == null) {
          throw unsupported(ctx, x.dtype());
        }
        double[] a = x.doubles();
        double[] o = new double[n];
        Parallel.forRangeCost(n, 4, (lo, hi) -> {
          for (int k = lo; k < hi; k++) {
            o[k] = flush ? Denormals.flush(d.f(Denormals.flush(a[k]))) : d.f(a[k]);
          }
        });
        out = o;
        break;
      }
      case INT32: {
        if (i == null) {
          throw unsupported(ctx, x.dtype());
        }
        int[] a = x.ints();
        int[] o = new int[n];
        for (int k = 0; k < n; k++) {
          o[k] = i.f(a[k]);
        }
        out = o;
        break;
      }
      case INT64: {
        if (l == null) {
          throw unsupported(ctx, x.dtype());
        }
        long[] a = x.longs();
        long[] o = new long[n];
        for (int k = 0; k < n; k++) {
          o[k] = l.f(a[k]);
        }
        out = o;
        break;
      }
      default:
        throw unsupported(ctx, x.dtype());
    }
    return Tensor.of(x.dtype(), x.shape(), out);
  }

  /** A binary kernel with broadcasting; null functions mark dtypes the op does not take. */
  static OpKernel binary(F2 f, D2 d, I2 i, L2 l) {
    return ctx -> ctx.output(0, binary(ctx, ctx.input(0), ctx.input(1), f, d, i, l, null));
  }

  /** A binary kernel whose float functions handle denormals themselves. */
  static OpKernel binaryRaw(F2 f, D2 d, I2 i, L2 l) {
    return ctx -> {
      Tensor x = ctx.input(0);
      Tensor y = ctx.input(1);
      if (x.dtype() == DType.FLOAT && y.dtype() == DType.FLOAT) {
        Broadcast bc = Broadcast.of(x.dims(), y.dims());
        float[] a = x.floats();
        float[] b = y.floats();
        float[] o = new float[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          for (int k = 0; k < len; k++) {
            o[out + k] = f.f(a[ia + k * sa], b[ib + k * sb]);
          }
        });
        ctx.output(0, Tensor.of(DType.FLOAT, Shape.of(bc.outDims), o));
      } else {
        ctx.output(0, binary(ctx, x, y, f, d, i, l, null));
      }
    };
  }

  static OpKernel binary(F2 f, D2 d, I2 i, L2 l, Z2 z) {
    return ctx -> ctx.output(0, binary(ctx, ctx.input(0), ctx.input(1), f, d, i, l, z));
  }

  static void sameType(OpContext ctx, Tensor x, Tensor y) {
    if (x.dtype() != y.dtype()) {
      throw new KernelException("inputs have different dtypes: " + x.dtype() + " and " + y.dtype());
    }
  }

  static Tensor binary(OpContext ctx, Tensor x, Tensor y, F2 f, D2 d, I2 i, L2 l, Z2 z) {
    sameType(ctx, x, y);
    Broadcast bc = Broadcast.of(x.dims(), y.dims());
    Shape shape = Shape.of(bc.outDims);
    switch (x.dtype()) {
      case FLOAT: {
        if (f == null) {
          throw unsupported(ctx, x.dtype());
        }
        float[] a = x.floats();
        float[] b = y.floats();
        float[] o = new float[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          if (sb == 0) {
            float bv = Denormals.flush(b[ib]);
            for (int k = 0; k < len; k++) {
              o[out + k] = Denormals.flush(f.f(Denormals.flush(a[ia + k * sa]), bv));
            }
          } else if (sa == 0) {
            float av = Denormals.flush(a[ia]);
            for (int k = 0; k < len; k++) {
              o[out + k] = Denormals.flush(f.f(av, Denormals.flush(b[ib + k * sb])));
            }
          } else {
            for (int k = 0; k < len; k++) {
              o[out + k] = Denormals.flush(f.f(Denormals.flush(a[ia + k * sa]), Denormals.flush(b[ib + k * sb])));
            }
          }
        });
        return Tensor.of(DType.FLOAT, shape, o);
      }
      case DOUBLE: {
        if (d == null) {
          throw unsupported(ctx, x.dtype());
        }
        double[] a = x.doubles();
        double[] b = y.doubles();
        double[] o = new double[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          for (int k = 0; k < len; k++) {
            o[out + k] = Denormals.flush(d.f(Denormals.flush(a[ia + k * sa]), Denormals.flush(b[ib + k * sb])));
          }
        });
        return Tensor.of(DType.DOUBLE, shape, o);
      }
      case INT32: {
        if (i == null) {
          throw unsupported(ctx, x.dtype());
        }
        int[] a = x.ints();
        int[] b = y.ints();
        int[] o = new int[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          for (int k = 0; k < len; k++) {
            o[out + k] = i.f(a[ia + k * sa], b[ib + k * sb]);
          }
        });
        return Tensor.of(DType.INT32, shape, o);
      }
      case INT64: {
        if (l == null) {
          throw unsupported(ctx, x.dtype());
        }
        long[] a = x.longs();
        long[] b = y.longs();
        long[] o = new long[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          for (int k = 0; k < len; k++) {
            o[out + k] = l.f(a[ia + k * sa], b[ib + k * sb]);
          }
        });
        return Tensor.of(DType.INT64, shape, o);
      }
      case BOOL: {
        if (z == null) {
          throw unsupported(ctx, x.dtype());
        }
        boolean[] a = x.bools();
        boolean[] b = y.bools();
        boolean[] o = new boolean[bc.outSize];
        bc.forEach((out, ia, sa, ib, sb, len) -> {
          for (int k = 0; k < len; k++) {
            o[out + k] = z.f(a[ia + k * sa], b[ib + k * sb]);
          }
        });
        return Tensor.of(DType.BOOL, shape, o);
      }
      default:
        throw unsupported(ctx, x.dtype());
    }
  }

  /** A comparison kernel (bool result) with broadcasting. */
  static OpKernel compare(FCmp f, DCmp d, ICmp i, LCmp l) {
    return ctx -> {
      Tensor x = ctx.input(0);
      Tensor y = ctx.input(1);
      sameType(ctx, x, y);
      Broadcast bc = Broadcast.of(x.dims(), y.dims());
      boolean[] o = new boolean[bc.outSize];
      switch (x.dtype()) {
        case FLOAT: {
          float[] a = x.floats();
          float[] b = y.floats();
          bc.forEach((out, ia, sa, ib, sb, len) -> {
            for (int k = 0; k < len; k++) {
              o[out + k] = f.f(Denormals.flush(a[ia + k * sa]), Denormals.flush(b[ib + k * sb]));
            }
          });
          break;
        }
        case DOUBLE: {
          double[] a = x.doubles();
          double[] b = y.doubles();
          bc.forEach((out, ia, sa, ib, sb, len) -> {
            for (int k = 0; k < len; k++) {
              o[out + k] = d.f(Denormals.flush(a[ia + k * sa]), Denormals.flush(b[ib + k * sb]));
            }
          });
          break;
        }
        case INT32: {
          int[] a = x.ints();
          int[] b = y.ints();
          bc.forEach((out, ia, sa, ib, sb, len) -> {
            for (int k = 0; k < len; k++) {
              o[out + k] = i.f(a[ia + k * sa], b[ib + k * sb]);
            }
          });
          break;
        }
        case INT64: {
          long[] a = x.longs();
          long[] b = y.longs();
          bc.forEach((out, ia, sa, ib, sb, len) -> {
            for (int k = 0; k < len; k++) {
              o[out + k] = l.f(a[ia + k * sa], b[ib + k * sb]);
            }
          });
          break;
        }
        case BOOL: case STRING: case INT8: case UINT8: case INT16: case UINT16: {
          // equality only: compare element by element on the canonical representation
          if (!ctx.op().equals("Equal") && !ctx.op().equals("NotEqual")) {
            throw unsupported(ctx, x.dtype());
          }
          boolean want = ctx.op().equals("Equal");
          Object a = x.array();
          Object b = y.array();
          bc.forEach((out, ia, sa, ib, sb, len) -> {
            for (int k = 0; k < len; k++) {
              o[out + k] = elementEquals(a, ia + k * sa, b, ib + k * sb) == want;
            }
          });
          break;
        }
        default:
          throw unsupported(ctx, x.dtype());
      }
      ctx.output(0, Tensor.of(DType.BOOL, Shape.of(bc.outDims), o));
    };
  }

  private static boolean elementEquals(Object a, int i, Object b, int j) {
    if (a instanceof boolean[] x) {
      return x[i] == ((boolean[]) b)[j];
    }
    if (a instanceof byte[][] x) {
      return java.util.Arrays.equals(x[i], ((byte[][]) b)[j]);
    }
    if (a instanceof byte[] x) {
      return x[i] == ((byte[]) b)[j];
    }
    if (a instanceof short[] x) {
      return x[i] == ((short[]) b)[j];
    }
    throw new KernelException("unsupported comparison");
  }
}
