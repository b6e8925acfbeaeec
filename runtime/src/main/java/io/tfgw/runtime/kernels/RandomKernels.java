package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.runtime.kernels.PhiloxSampler.Distribution;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.security.SecureRandom;
import java.util.function.BiConsumer;

/**
 * TF's random ops on Philox streams, giving TF's bits when seeded (see {@link PhiloxSampler} for the sampling):
 * <ul>
 *   <li>stateful ops (RandomUniform, RandomStandardNormal, TruncatedNormal, RandomUniformInt) seeded by their
 *       {@code seed}/{@code seed2} attributes, which TF's Python has already derived from the graph-level and
 *       op-level seeds. Each node keeps its generator for the session and reserves 256 calls per output on every
 *       run, so consecutive runs continue the stream as TF's do. {@code seed = seed2 = 0} means unseeded: TF seeds
 *       from the clock; so do we, and the outputs are marked nondeterministic (see
 *       {@link OpContext#markNondeterministic});
 *   <li>RandomShuffle, seeded the same way: a Fisher-Yates shuffle of the first dimension taking one 32-bit word
 *       per swap;
 *   <li>stateless ops (StatelessRandomUniform/Normal/TruncatedNormal/UniformInt/UniformFullInt with a [2] seed, and
 *       their V2 forms on a key and counter with StatelessRandomGetKeyCounter[Alg] and StatelessRandomGetAlg, which
 *       TF2's {@code tf.random.stateless_*} build): the seed is scrambled by one Philox call into a key and counter;
 *       only the Philox algorithm exists on CPU.
 * </ul>
 */
final class RandomKernels {
  /** TF's algorithm ids ({@code rng_alg.h}). */
  private static final int ALG_PHILOX = 1;
  private static final int ALG_AUTO_SELECT = 3;
  /** The key {@code GenerateKey} scrambles a stateless seed with. */
  private static final int[] SEED_SCRAMBLE_KEY = {0x3ec8f720, 0x02461e29};
  /** Generator calls a stateful op reserves per output (TF's multiplier; do not change). */
  private static final long RESERVED_PER_OUTPUT = 256;

  private static final SecureRandom ENTROPY = new SecureRandom();

  private RandomKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("RandomUniform", ctx -> stateful(ctx, Distribution.UNIFORM, ctx.attrType("dtype"), 0, 0));
    r.accept("RandomStandardNormal", ctx -> stateful(ctx, Distribution.NORMAL, ctx.attrType("dtype"), 0, 0));
    r.accept("TruncatedNormal", ctx -> stateful(ctx, Distribution.TRUNCATED_NORMAL, ctx.attrType("dtype"), 0, 0));
    r.accept("RandomUniformInt", ctx -> {
      DType dtype = ctx.attrType("Tout");
      Shape shape = shapeInput(ctx, 0);
      long[] bounds = bounds(ctx, 1, 2, shape);
      stateful(ctx, Distribution.UNIFORM_INT, dtype, bounds[0], bounds[1]);
    });
    r.accept("RandomShuffle", RandomKernels::shuffle);

    r.accept("StatelessRandomUniform", ctx -> stateless(ctx, Distribution.UNIFORM));
    r.accept("StatelessRandomNormal", ctx -> stateless(ctx, Distribution.NORMAL));
    r.accept("StatelessTruncatedNormal", ctx -> stateless(ctx, Distribution.TRUNCATED_NORMAL));
    r.accept("StatelessRandomUniformFullInt", ctx -> stateless(ctx, Distribution.FULL_INT));
    r.accept("StatelessRandomUniformInt", ctx -> stateless(ctx, Distribution.UNIFORM_INT));

    r.accept("StatelessRandomUniformV2", ctx -> statelessV2(ctx, Distribution.UNIFORM));
    r.accept("StatelessRandomNormalV2", ctx -> statelessV2(ctx, Distribution.NORMAL));
    r.accept("StatelessTruncatedNormalV2", ctx -> statelessV2(ctx, Distribution.TRUNCATED_NORMAL));
    r.accept("StatelessRandomUniformFullIntV2", ctx -> statelessV2(ctx, Distribution.FULL_INT));
    r.accept("StatelessRandomUniformIntV2", ctx -> statelessV2(ctx, Distribution.UNIFORM_INT));

    r.accept("StatelessRandomGetKeyCounter", ctx -> keyCounter(ctx, false));
    r.accept("StatelessRandomGetKeyCounterAlg", ctx -> keyCounter(ctx, true));
    r.accept("StatelessRandomGetAlg", ctx -> ctx.output(0, Tensor.scalar(ALG_PHILOX)));
  }

  /** A stateful op's generator: TF's {@code GuardedPhiloxRandom}, one per node and session. */
  private static final class Generator {
    private final Philox stream;

    Generator(long seed, long seed2) {
      if (seed == 0 && seed2 == 0) {
        seed = ENTROPY.nextLong();
        seed2 = ENTROPY.nextLong();
      }
      stream = Philox.seeded(seed, seed2);
    }

    /** The stream from here, skipping {@code calls} calls for the next reservation. */
    synchronized Philox reserve(long calls) {
      Philox here = stream.copy();
      stream.skip(calls);
      return here;
    }
  }

  private static void stateful(OpContext ctx, Distribution d, DType dtype, long lo, long hi) {
    Shape shape = shapeInput(ctx, 0);
    long seed = ctx.attrInt("seed", 0);
    long seed2 = ctx.attrInt("seed2", 0);
    if (seed == 0 && seed2 == 0) {
      ctx.markNondeterministic();
    }
    if (shape.numElements() == 0) {
      ctx.output(0, Tensor.zeros(dtype, shape));
      return;
    }
    Generator g = ctx.kernelState(Generator.class, () -> new Generator(seed, seed2));
    Philox gen = g.reserve(shape.numElements() * RESERVED_PER_OUTPUT);
    ctx.output(0, PhiloxSampler.sample(d, dtype, shape, gen, lo, hi));
  }

  /**
   * TF's RandomShuffle: for i from the first row to the second last, swap row i with row i + (word % rows left), a
   * word per swap from the generator, which reserves the words (in calls of four) on every run.
   */
  private static void shuffle(OpContext ctx) {
    Tensor x = ctx.input(0);
    long seed = ctx.attrInt("seed", 0);
    long seed2 = ctx.attrInt("seed2", 0);
    if (seed == 0 && seed2 == 0) {
      ctx.markNondeterministic();
    }
    if (x.size() <= 1 || x.rank() == 0 || x.dim(0) <= 1) {
      ctx.forward(0, 0);
      return;
    }
    int rows = x.dim(0);
    Generator g = ctx.kernelState(Generator.class, () -> new Generator(seed, seed2));
    PhiloxSampler.Words words = new PhiloxSampler.Words(g.reserve((rows - 1 + 3) / 4));
    int[] permutation = new int[rows];
    for (int i = 0; i < rows; i++) {
      permutation[i] = i;
    }
    for (int i = 0; i < rows - 1; i++) {
      int j = i + Integer.remainderUnsigned(words.next(), rows - i);
      int t = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = t;
    }
    int rowSize = x.size() / rows;
    Object in = x.array();
    Object out = Tensor.allocate(x.dtype(), x.size());
    for (int i = 0; i < rows; i++) {
      System.arraycopy(in, permutation[i] * rowSize, out, i * rowSize, rowSize);
    }
    ctx.output(0, Tensor.of(x.dtype(), x.shape(), out));
  }

  private static void stateless(OpContext ctx, Distribution d) {
    Shape shape = shapeInput(ctx, 0);
    Tensor seed = ctx.input(1);
    if (seed.rank() != 1 || seed.dim(0) != 2) {
      throw new KernelException("seed must have shape [2], not " + seed.shape());
    }
    DType dtype = statelessDtype(ctx, d);
    long[] bounds = d == Distribution.UNIFORM_INT ? bounds(ctx, 2, 3, shape) : new long[2];
    if (shape.numElements() == 0) {
      ctx.output(0, Tensor.zeros(dtype, shape));
      return;
    }
    ctx.output(0, PhiloxSampler.sample(d, dtype, shape, scrambledSeed(seed), bounds[0], bounds[1]));
  }

  private static void statelessV2(OpContext ctx, Distribution d) {
    Shape shape = shapeInput(ctx, 0);
    Tensor key = ctx.input(1);
    Tensor counter = ctx.input(2);
    Tensor alg = ctx.input(3);
    if (alg.rank() != 0 || alg.dtype() != DType.INT32) {
      throw new KernelException("dtype of input 3 (0-based) must be int32 and its shape [], not " + alg.dtype()
          + alg.shape());
    }
    int algorithm = alg.ints()[0];
    if (algorithm == ALG_AUTO_SELECT) {
      algorithm = ALG_PHILOX;
    }
    if (algorithm != ALG_PHILOX) {
      throw new KernelException("Unsupported algorithm id: " + algorithm + " (only Philox, 1, runs on CPU)");
    }
    if (key.rank() != 1 || key.dim(0) != 1) {
      throw new KernelException("key must have shape [1], not " + key.shape() + ". (Note that batched keys are not "
          + "supported yet.)");
    }
    if (counter.rank() != 1 || counter.dim(0) < 2) {
      throw new KernelException("counter must be a vector with length at least 2; got shape: " + counter.shape()
          + ". (Note that batched counters are not supported yet.)");
    }
    DType dtype = statelessDtype(ctx, d);
    if (shape.numElements() == 0) {
      ctx.output(0, Tensor.zeros(dtype, shape));
      return;
    }
    long[] bounds = d == Distribution.UNIFORM_INT ? bounds(ctx, 4, 5, shape) : new long[2];
    Philox gen = Philox.fromKeyCounter(key.getLong(0), counter.getLong(0), counter.getLong(1));
    ctx.output(0, PhiloxSampler.sample(d, dtype, shape, gen, bounds[0], bounds[1]));
  }

  /**
   * The output dtype; function bodies leave out attributes at their default, which for the stateless ops is float32
   * (uint64 for the full-range integers).
   */
  private static DType statelessDtype(OpContext ctx, Distribution d) {
    if (d == Distribution.UNIFORM_INT) {
      return ctx.attrType("dtype");
    }
    return ctx.attrType("dtype", d == Distribution.FULL_INT ? DType.UINT64 : DType.FLOAT);
  }

  /** StatelessRandomGetKeyCounter[Alg]: the scrambled seed as a uint64 key [1] and counter [2] (and Philox). */
  private static void keyCounter(OpContext ctx, boolean withAlg) {
    Tensor seed = ctx.input(0);
    if (seed.rank() != 1 || seed.dim(0) != 2) {
      throw new KernelException("seed must have shape [2], not " + seed.shape());
    }
    Philox gen = scrambledSeed(seed);
    int[] k = gen.key();
    int[] c = gen.counter();
    ctx.output(0, Tensor.of(DType.UINT64, Shape.of(1), new long[] {words(k[0], k[1])}));
    ctx.output(1, Tensor.of(DType.UINT64, Shape.of(2), new long[] {words(c[0], c[1]), words(c[2], c[3])}));
    if (withAlg) {
      ctx.output(2, Tensor.scalar(ALG_PHILOX));
    }
  }

  /** TF's {@code GenerateKey}: one Philox call under a fixed key turns the two seeds into a key and counter. */
  private static Philox scrambledSeed(Tensor seed) {
    if (seed.dtype() != DType.INT32 && seed.dtype() != DType.INT64) {
      throw new KernelException("Invalid seed type: " + seed.dtype().pythonName());
    }
    long seed0 = seed.getLong(0); // an int32 seed is sign-extended, as C++ converts it to uint64
    long seed1 = seed.getLong(1);
    int[] mix = new int[4];
    Philox.of(new int[] {(int) seed0, (int) (seed0 >>> 32), (int) seed1, (int) (seed1 >>> 32)}, SEED_SCRAMBLE_KEY)
        .next(mix);
    return Philox.of(new int[] {0, 0, mix[2], mix[3]}, new int[] {mix[0], mix[1]});
  }

  private static long words(int low, int high) {
    return (low & 0xFFFFFFFFL) | ((long) high << 32);
  }

  /** The output shape from a shape input (an int32 or int64 vector). */
  private static Shape shapeInput(OpContext ctx, int input) {
    Tensor t = ctx.input(input);
    if (t.rank() != 1 || (t.dtype() != DType.INT32 && t.dtype() != DType.INT64)) {
      throw new KernelException("shape must be a vector of {int32,int64}, got shape " + t.shape());
    }
    long[] dims = t.toLongs();
    for (long d : dims) {
      if (d < 0) {
        throw new KernelException("Dimension " + d + " must be >= 0 in shape " + java.util.Arrays.toString(dims));
      }
    }
    Shape shape = Shape.of(dims);
    if (shape.numElements() > Integer.MAX_VALUE - 8) {
      throw new KernelException("shape " + shape + " has more elements than the runtime holds in one tensor");
    }
    return shape;
  }

  /** Scalar minval and maxval inputs; minval &lt; maxval unless nothing is drawn. */
  private static long[] bounds(OpContext ctx, int minInput, int maxInput, Shape shape) {
    Tensor min = ctx.input(minInput);
    Tensor max = ctx.input(maxInput);
    if (min.rank() != 0) {
      throw new KernelException("minval must be 0-D, got shape " + min.shape());
    }
    if (max.rank() != 0) {
      throw new KernelException("maxval must be 0-D, got shape " + max.shape());
    }
    long lo = min.getLong(0);
    long hi = max.getLong(0);
    if (shape.numElements() > 0 && lo >= hi) {
      throw new KernelException("Need minval < maxval, got " + lo + " >= " + hi);
    }
    return new long[] {lo, hi};
  }
}
