package io.tfgw.runtime.kernels;

import static io.tfgw.runtime.kernels.Elementwise.binary;
import static io.tfgw.runtime.kernels.Elementwise.bitwise;
import static io.tfgw.runtime.kernels.Elementwise.compare;
import static io.tfgw.runtime.kernels.Elementwise.unary;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.function.BiConsumer;

/**
 * Elementwise math: arithmetic with broadcasting, comparisons, logic, activations, Cast, AddN, BiasAdd, Select.
 * Float32 ops compute in float32 where TF does (IEEE add, mul, div, sqrt give TF's bits exactly); transcendental
 * functions compute in float64 and round once, so they are within an ulp or two of TF's (Eigen's) approximations.
 */
final class MathKernels {
  private MathKernels() {}

  private static float fexp(float x) {
    return (float) Math.exp(x);
  }

  private static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
  }

  private static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  private static final float SOFTPLUS_THRESHOLD_F = (float) Math.log(Math.ulp(1.0f)) + 2f;
  private static final double SOFTPLUS_THRESHOLD_D = Math.log(Math.ulp(1.0)) + 2;

  private static float softplus(float x) {
    if (x > -SOFTPLUS_THRESHOLD_F) {
      return x;
    }
    float e = fexp(x);
    if (x < SOFTPLUS_THRESHOLD_F) {
      return e;
    }
    return (float) Math.log1p(e);
  }

  private static double softplus(double x) {
    if (x > -SOFTPLUS_THRESHOLD_D) {
      return x;
    }
    double e = Math.exp(x);
    return x < SOFTPLUS_THRESHOLD_D ? e : Math.log1p(e);
  }

  private static final float SELU_SCALE_F = 1.0507009873554804934193349852946f;
  private static final float SELU_SCALE_ALPHA_F = 1.7580993408473768599402175208123f;
  private static final double SELU_SCALE = 1.0507009873554804934193349852946;
  private static final double SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

  private static float fmax(float a, float b) {
    return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : (a < b ? b : a);
  }

  private static float fmin(float a, float b) {
    return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : (b < a ? b : a);
  }

  private static double dmax(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : (a < b ? b : a);
  }

  private static double dmin(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : (b < a ? b : a);
  }

  private static int idiv(int a, int b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return a / b;
  }

  private static long ldiv(long a, long b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return a / b;
  }

  private static int ifloordiv(int a, int b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return Math.floorDiv(a, b);
  }

  private static long lfloordiv(long a, long b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return Math.floorDiv(a, b);
  }

  private static int ifloormod(int a, int b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return Math.floorMod(a, b);
  }

  private static long lfloormod(long a, long b) {
    if (b == 0) {
      throw new KernelException("Integer division by zero");
    }
    return Math.floorMod(a, b);
  }

  /** std::fmod is exact integer work (no flushing of its result); the comparisons and the add see DAZ/FTZ. */
  private static float ffloormod(float x, float y) {
    float m = x % Denormals.flush(y);
    float fm = Denormals.flush(m);
    return fm != 0 && ((y < 0) != (fm < 0)) ? Denormals.flush(m + y) : m;
  }

  private static double dfloormod(double x, double y) {
    double m = x % y;
    return m != 0 && ((y < 0) != (m < 0)) ? m + y : m;
  }

  private static long lpow(long base, long exp) {
    if (exp < 0) {
      throw new KernelException("Integers to negative integer powers are not allowed");
    }
    long result = 1;
    while (exp > 0) {
      if ((exp & 1) != 0) {
        result *= base;
      }
      base *= base;
      exp >>= 1;
    }
    return result;
  }

  /** Round half to even, as TF's Round. */
  private static float fround(float x) {
    return (float) Math.rint(x);
  }

  // The float activations a fused MatMul/Conv2D + BiasAdd chain can end with (see Epilogue): one definition for the
  // op's own kernel and for the fused one, so the two give the same bits. Relu, Relu6, Tanh and Sigmoid run as
  // flush(f(flush(x))) (unary); Elu as f(x) (bitwise), flushing inside.
  static final Elementwise.F1 RELU = x -> x > 0 ? x : (Float.isNaN(x) ? x : 0f);
  static final Elementwise.F1 RELU6 = x -> Float.isNaN(x) ? x : Math.min(Math.max(x, 0f), 6f);
  static final Elementwise.F1 TANH = x -> (float) Math.tanh(x);
  static final Elementwise.F1 SIGMOID = MathKernels::sigmoid;
  // select(x < 0, exp(x) - 1, x): the x branch is a copy, so denormal inputs pass through unflushed
  static final Elementwise.F1 ELU = x -> Denormals.flush(x) < 0 ? Denormals.flush(fexp(x) - 1f) : x;

  static void register(BiConsumer<String, OpKernel> r) {
    OpKernel add = binary((a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b);
    r.accept("Add", add);
    r.accept("AddV2", add);
    r.accept("Sub", binary((a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b));
    r.accept("Mul", binary((a, b) -> a * b, (a, b) -> a * b, (a, b) -> a * b, (a, b) -> a * b));
    r.accept("RealDiv", binary((a, b) -> a / b, (a, b) -> a / b, MathKernels::idiv, MathKernels::ldiv));
    r.accept("Div", binary((a, b) -> a / b, (a, b) -> a / b, MathKernels::idiv, MathKernels::ldiv));
    r.accept("TruncateDiv", binary(null, null, MathKernels::idiv, MathKernels::ldiv));
    r.accept("DivNoNan", binary((a, b) -> b == 0 ? 0f : a / b, (a, b) -> b == 0 ? 0d : a / b, null, null));
    r.accept("MulNoNan", binary((a, b) -> b == 0 ? 0f : a * b, (a, b) -> b == 0 ? 0d : a * b, null, null));
    r.accept("FloorDiv", binary((a, b) -> (float) Math.floor(Denormals.flush(a / b)),
        (a, b) -> Math.floor(Denormals.flush(a / b)),
        MathKernels::ifloordiv, MathKernels::lfloordiv));
    r.accept("FloorMod", Elementwise.binaryRaw(MathKernels::ffloormod, MathKernels::dfloormod, MathKernels::ifloormod,
        MathKernels::lfloormod));
    r.accept("Mod", binary((a, b) -> a % b, (a, b) -> a % b, (a, b) -> {
      if (b == 0) {
        throw new KernelException("Integer division by zero");
      }
      return a % b;
    }, (a, b) -> {
      if (b == 0) {
        throw new KernelException("Integer division by zero");
      }
      return a % b;
    }));
    r.accept("TruncateMod", binary((a, b) -> a % b, (a, b) -> a % b, (a, b) -> a % b, (a, b) -> a % b));
    r.accept("Maximum", binary(MathKernels::fmax, MathKernels::dmax, Math::max, Math::max));
    r.accept("Minimum", binary(MathKernels::fmin, MathKernels::dmin, Math::min, Math::min));
    r.accept("Pow", binary((a, b) -> (float) Math.pow(a, b), Math::pow, (a, b) -> (int) lpow(a, b),
        MathKernels::lpow));
    r.accept("SquaredDifference", binary((a, b) -> (a - b) * (a - b), (a, b) -> (a - b) * (a - b),
        (a, b) -> (a - b) * (a - b), (a, b) -> (a - b) * (a - b)));
    r.accept("Atan2", binary((a, b) -> (float) Math.atan2(a, b), Math::atan2, null, null));

    r.accept("Neg", bitwise(x -> -x, x -> -x, x -> -x, x -> -x));
    r.accept("Abs", bitwise(Math::abs, Math::abs, Math::abs, Math::abs));
    r.accept("Square", unary(x -> x * x, x -> x * x, x -> x * x, x -> x * x));
    r.accept("Sqrt", unary(x -> (float) Math.sqrt(x), Math::sqrt, null, null));
    r.accept("Rsqrt", unary(x -> (float) (1.0 / Math.sqrt(x)), x -> 1.0 / Math.sqrt(x), null, null));
    r.accept("Reciprocal", unary(x -> 1f / x, x -> 1.0 / x, x -> idiv(1, x), x -> ldiv(1, x)));
    r.accept("Inv", unary(x -> 1f / x, x -> 1.0 / x, x -> idiv(1, x), x -> ldiv(1, x)));
    r.accept("Exp", unary(MathKernels::fexp, Math::exp, null, null));
    r.accept("Expm1", bitwise(x -> Math.abs(x) < Float.MIN_NORMAL ? x : Denormals.flush((float) Math.expm1(x)),
        x -> Math.abs(x) < Double.MIN_NORMAL ? x : Denormals.flush(Math.expm1(x)), null, null));
    r.accept("Log", unary(x -> (float) Math.log(x), Math::log, null, null));
    r.accept("Log1p", unary(x -> (float) Math.log1p(x), Math::log1p, null, null));
    r.accept("Erf", unary(x -> (float) SpecialFunctions.erf(x), SpecialFunctions::erf, null, null));
    r.accept("Erfc", unary(x -> (float) SpecialFunctions.erfc(x), SpecialFunctions::erfc, null, null));
    r.accept("Sin", unary(x -> (float) Math.sin(x), Math::sin, null, null));
    r.accept("Cos", unary(x -> (float) Math.cos(x), Math::cos, null, null));
    r.accept("Tan", unary(x -> (float) Math.tan(x), Math::tan, null, null));
    r.accept("Tanh", unary(TANH, Math::tanh, null, null));
    r.accept("Sigmoid", unary(SIGMOID, MathKernels::sigmoid, null, null));
    r.accept("Floor", unary(x -> (float) Math.floor(x), Math::floor, null, null));
    r.accept("Ceil", unary(x -> (float) Math.ceil(x), Math::ceil, null, null));
    r.accept("Round", unary(MathKernels::fround, Math::rint, x -> x, x -> x));
    r.accept("Rint", unary(MathKernels::fround, Math::rint, null, null));
    // Eigen's psign: sign(x) for non-zero x (after DAZ), else |x| (so denormals keep their magnitude)
    r.accept("Sign", bitwise(x -> Math.abs(Denormals.flush(x)) > 0 ? Math.copySign(1f, x) : Math.abs(x),
        x -> Math.abs(Denormals.flush(x)) > 0 ? Math.copySign(1d, x) : Math.abs(x), Integer::signum,
        x -> Long.signum(x)));
    OpKernel relu = unary(RELU, x -> x > 0 ? x : (Double.isNaN(x) ? x : 0d),
        x -> Math.max(x, 0), x -> Math.max(x, 0L));
    r.accept("Relu", ctx -> {
      if (ctx.input(0).dtype() == DType.FLOAT) {
        ctx.output(0, reluFloat(ctx.input(0)));
      } else {
        relu.compute(ctx);
      }
    });
    r.accept("Relu6", unary(RELU6,
        x -> Double.isNaN(x) ? x : Math.min(Math.max(x, 0d), 6d), x -> Math.min(Math.max(x, 0), 6),
        x -> Math.min(Math.max(x, 0L), 6L)));
    r.accept("Elu", bitwise(ELU,
        x -> Denormals.flush(x) < 0 ? Denormals.flush(Math.exp(x) - 1) : x, null, null));
    r.accept("Selu", unary(x -> x < 0 ? SELU_SCALE_ALPHA_F * (fexp(x) - 1f) : SELU_SCALE_F * x,
        x -> x < 0 ? SELU_SCALE_ALPHA * (Math.exp(x) - 1) : SELU_SCALE * x, null, null));
    r.accept("Softplus", unary(MathKernels::softplus, MathKernels::softplus, null, null));
    r.accept("Softsign", unary(x -> x / (1f + Math.abs(x)), x -> x / (1 + Math.abs(x)), null, null));
    r.accept("LeakyRelu", ctx -> {
      float alpha = ctx.attrFloat("alpha", 0.2f);
      ctx.output(0, unary(ctx, ctx.input(0), x -> x > 0 ? x : x * alpha, x -> x > 0 ? x : x * (double) alpha,
          null, null));
    });
    r.accept("IsNan", predicate(Float::isNaN, Double::isNaN));
    r.accept("IsInf", predicate(Float::isInfinite, Double::isInfinite));
    r.accept("IsFinite", predicate(Float::isFinite, Double::isFinite));

    r.accept("Equal", compare((a, b) -> a == b, (a, b) -> a == b, (a, b) -> a == b, (a, b) -> a == b));
    r.accept("NotEqual", compare((a, b) -> a != b, (a, b) -> a != b, (a, b) -> a != b, (a, b) -> a != b));
    r.accept("Less", compare((a, b) -> a < b, (a, b) -> a < b, (a, b) -> a < b, (a, b) -> a < b));
    r.accept("LessEqual", compare((a, b) -> a <= b, (a, b) -> a <= b, (a, b) -> a <= b, (a, b) -> a <= b));
    r.accept("Greater", compare((a, b) -> a > b, (a, b) -> a > b, (a, b) -> a > b, (a, b) -> a > b));
    r.accept("GreaterEqual", compare((a, b) -> a >= b, (a, b) -> a >= b, (a, b) -> a >= b, (a, b) -> a >= b));
    r.accept("LogicalAnd", binary(null, null, null, null, (a, b) -> a && b));
    r.accept("LogicalOr", binary(null, null, null, null, (a, b) -> a || b));
    r.accept("LogicalNot", ctx -> {
      Tensor x = ctx.input(0);
      boolean[] a = x.bools();
      boolean[] o = new boolean[a.length];
      for (int i = 0; i < a.length; i++) {
        o[i] = !a[i];
      }
      ctx.output(0, Tensor.of(DType.BOOL, x.shape(), o));
    });

    r.accept("AddN", MathKernels::addN);
    r.accept("BiasAdd", MathKernels::biasAdd);
    r.accept("BiasAddV1", MathKernels::biasAdd);
    r.accept("Cast", ctx -> ctx.output(0, Casts.cast(ctx.input(0), ctx.attrType("DstT"))));
    r.accept("Select", MathKernels::select);
    r.accept("SelectV2", MathKernels::selectV2);
    r.accept("ClipByValue", ctx -> {
      Tensor lo = ctx.input(1);
      Tensor hi = ctx.input(2);
      Tensor t = binary(ctx, ctx.input(0), lo, MathKernels::fmax, MathKernels::dmax, Math::max, Math::max, null);
      ctx.output(0, binary(ctx, t, hi, MathKernels::fmin, MathKernels::dmin, Math::min, Math::min, null));
    });
  }

  interface FPred {
    boolean f(float x);
  }

  interface DPred {
    boolean f(double x);
  }

  private static OpKernel predicate(FPred f, DPred d) {
    return ctx -> {
      Tensor x = ctx.input(0);
      boolean[] o = new boolean[x.size()];
      if (x.dtype() == DType.FLOAT) {
        float[] a = x.floats();
        for (int i = 0; i < a.length; i++) {
          o[i] = f.f(a[i]);
        }
      } else if (x.dtype() == DType.DOUBLE) {
        double[] a = x.doubles();
        for (int i = 0; i < a.length; i++) {
          o[i] = d.f(a[i]);
        }
      } else {
        throw Elementwise.unsupported(ctx, x.dtype());
      }
      ctx.output(0, Tensor.of(DType.BOOL, x.shape(), o));
    };
  }

  /**
   * AddN in TF's grouping ({@code aggregate_ops.h}): the first {@code n % 8} inputs (8 or 9 when that is 0 or 1)
   * summed left to right, then {@code out += (x[i] + ... + x[i+7])} for each further group of eight.
   */
  private static void addN(OpContext ctx) {
    int n = ctx.numInputs();
    Tensor first = ctx.input(0);
    for (int i = 1; i < n; i++) {
      if (!ctx.input(i).shape().equals(first.shape()) || ctx.input(i).dtype() != first.dtype()) {
        throw new KernelException("inputs must have the same dtype and shape: " + first.dtype() + first.shape()
            + " vs " + ctx.input(i).dtype() + ctx.input(i).shape());
      }
    }
    if (n == 1) {
      ctx.output(0, first);
      return;
    }
    int head = n % 8 == 0 ? 8 : n % 8 == 1 ? 9 : n % 8;
    Tensor out = sumRange(ctx, 0, Math.min(head, n));
    for (int g = head; g < n; g += 8) {
      out = Elementwise.binary(ctx, out, sumRange(ctx, g, g + 8), (a, b) -> a + b, (a, b) -> a + b,
          (a, b) -> a + b, (a, b) -> a + b, null);
    }
    ctx.output(0, out);
  }

  private static Tensor sumRange(OpContext ctx, int from, int to) {
    Tensor acc = ctx.input(from);
    for (int i = from + 1; i < to; i++) {
      acc = Elementwise.binary(ctx, acc, ctx.input(i), (a, b) -> a + b, (a, b) -> a + b, (a, b) -> a + b,
          (a, b) -> a + b, null);
    }
    return acc;
  }

  private static void biasAdd(OpContext ctx) {
    Tensor x = ctx.input(0);
    Tensor bias = ctx.input(1);
    boolean nchw = ctx.attrString("data_format", "NHWC").startsWith("NC");
    if (x.rank() < 2 || bias.rank() != 1) {
      throw new KernelException("BiasAdd needs a value of rank >= 2 and a 1-D bias, got " + x.shape() + " and "
          + bias.shape());
    }
    int channelDim = nchw ? 1 : x.rank() - 1;
    int c = x.dim(channelDim);
    if (bias.size() != c) {
      throw new KernelException("Must provide as many biases as the channel dimension of the input tensor: "
          + bias.shape() + " vs. " + x.shape());
    }
    if (x.dtype() == DType.FLOAT && bias.dtype() == DType.FLOAT) {
      ctx.output(0, biasAddFloat(x, bias, channelDim));
      return;
    }
    long[] bshape = new long[x.rank()];
    java.util.Arrays.fill(bshape, 1);
    bshape[channelDim] = c;
    Tensor b = bias.reshape(Shape.of(bshape));
    ctx.output(0, binary(ctx, x, b, (p, q) -> p + q, (p, q) -> p + q, (p, q) -> p + q, (p, q) -> p + q, null));
  }

  /**
   * The hot activation of every conv net, written out rather than through the generic per-element lambda (which is
   * megamorphic, so never inlined): the same bits as flush(relu(flush(x))).
   */
  private static Tensor reluFloat(Tensor x) {
    float[] a = x.floats();
    float[] o = new float[a.length];
    Parallel.forRangeCost(a.length, 1, (lo, hi) -> {
      for (int k = lo; k < hi; k++) {
        // branch-free max (a plain ternary mispredicts on half the inputs), then the rare cases: a positive
        // denormal flushes to zero, a NaN passes through with its own bits
        float v = a[k];
        float m = Math.max(v, 0f);
        if (Integer.compareUnsigned(Float.floatToRawIntBits(m) - 1, 0x7fffff) < 0) {
          m = 0f;
        }
        if (v != v) {
          m = v;
        }
        o[k] = m;
      }
    });
    return Tensor.of(DType.FLOAT, x.shape(), o);
  }

  /** BiasAdd on floats without the generic broadcast: runs of channels (NHWC) or of pixels (NCHW). */
  private static Tensor biasAddFloat(Tensor x, Tensor bias, int channelDim) {
    float[] a = x.floats();
    float[] b = bias.floats().clone();
    Denormals.flush(b);
    float[] o = new float[a.length];
    int c = b.length;
    int inner = 1;
    for (int d = channelDim + 1; d < x.rank(); d++) {
      inner *= x.dim(d);
    }
    int runs = c == 0 || inner == 0 ? 0 : a.length / (c * inner);
    int innerLen = inner;
    // one task per [outer, channel] block of `inner` elements (NCHW) or per group of rows (NHWC: inner == 1)
    Parallel.forRangeCost(runs, (long) c * inner, (lo, hi) -> {
      for (int r = lo; r < hi; r++) {
        int base = r * c * innerLen;
        if (innerLen == 1) {
          for (int ch = 0; ch < c; ch++) {
            o[base + ch] = Denormals.flush(Denormals.flush(a[base + ch]) + b[ch]);
          }
          continue;
        }
        for (int ch = 0; ch < c; ch++) {
          float bv = b[ch];
          int from = base + ch * innerLen;
          for (int k = from; k < from + innerLen; k++) {
            o[k] = Denormals.flush(Denormals.flush(a[k]) + bv);
          }
        }
      }
    });
    return Tensor.of(DType.FLOAT, x.shape(), o);
  }

  /** Select (TF1): condition of the same shape, a scalar, or a vector over the first dimension. */
  private static void select(OpContext ctx) {
    Tensor cond = ctx.input(0);
    Tensor t = ctx.input(1);
    Tensor e = ctx.input(2);
    if (!t.shape().equals(e.shape()) || t.dtype() != e.dtype()) {
      throw new KernelException("'then' and 'else' must have the same shape and dtype: " + t.shape() + " vs. "
          + e.shape());
    }
    if (cond.rank() == 1 && t.rank() > 1) {
      if (cond.size() != t.dim(0)) {
        throw new KernelException("condition vector of " + cond.size() + " elements for a first dimension of "
            + t.dim(0));
      }
      long[] cs = new long[t.rank()];
      java.util.Arrays.fill(cs, 1);
      cs[0] = cond.size();
      cond = cond.reshape(Shape.of(cs));
    } else if (cond.rank() != 0 && !cond.shape().equals(t.shape())) {
      throw new KernelException("condition " + cond.shape() + " must be a scalar, a vector, or of shape "
          + t.shape());
    }
    ctx.output(0, selectBroadcast(cond, t, e));
  }

  private static void selectV2(OpContext ctx) {
    ctx.output(0, selectBroadcast(ctx.input(0), ctx.input(1), ctx.input(2)));
  }

  static Tensor selectBroadcast(Tensor cond, Tensor t, Tensor e) {
    if (t.dtype() != e.dtype()) {
      throw new KernelException("'then' and 'else' have different dtypes: " + t.dtype() + " vs " + e.dtype());
    }
    long[] shape = Broadcast.shape(Broadcast.shape(cond.dims(), t.dims()), e.dims());
    Tensor c = ArrayKernels.broadcastTo(cond, shape);
    Tensor tt = ArrayKernels.broadcastTo(t, shape);
    Tensor ee = ArrayKernels.broadcastTo(e, shape);
    boolean[] cv = c.bools();
    Object out = Tensor.allocate(t.dtype(), cv.length);
    Object ta = tt.array();
    Object ea = ee.array();
    for (int i = 0; i < cv.length; i++) {
      System.arraycopy(cv[i] ? ta : ea, i, out, i, 1);
    }
    return Tensor.of(t.dtype(), Shape.of(shape), out);
  }
}
