package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;

/**
 * Fills a tensor from a Philox stream as TF's {@code FillPhiloxRandom} does, so that seeded random ops give TF's
 * bits: the output is cut into groups (4 values per generator call for 32-bit types and half/bfloat16, 2 for
 * 64-bit types); group {@code g} of a fixed-cost distribution takes call {@code g} of the stream, and group
 * {@code g} of the truncated normal (which rejects samples) starts 256 samples per output further on. Groups are
 * independent, so the work is split over threads by groups without changing a bit.
 *
 * <p>The conversions are TF's {@code random_distributions.h}: uniform floats put 23 (half: 10, bfloat16: 7, double:
 * 52) random bits in the mantissa of a number in [1, 2) and subtract 1; normals use Box-Muller with TF's epsilon
 * and glibc's {@code logf}/{@code sincosf} (see {@link LibmFloat}); the truncated normal keeps Box-Muller samples
 * below 2 in magnitude; uniform integers are {@code lo + bits % (hi - lo)} (unsigned, no rejection).
 */
final class PhiloxSampler {
  /** Samples a truncated-normal output group may use; TF reserves this many per output. */
  private static final int RESERVED_SAMPLES_PER_OUTPUT = 256;
  private static final float FLOAT_EPSILON = 1.0e-7f;
  private static final double DOUBLE_EPSILON = 1.0e-7;
  private static final int GROUPS_PER_TASK = 1 << 11;

  enum Distribution { UNIFORM, NORMAL, TRUNCATED_NORMAL, UNIFORM_INT, FULL_INT }

  private PhiloxSampler() {}

  /**
   * A tensor of {@code shape} and {@code dtype} drawn from {@code gen} (not advanced); {@code lo} and {@code hi}
   * bound {@link Distribution#UNIFORM_INT} (lo &lt; hi).
   */
  static Tensor sample(Distribution d, DType dtype, Shape shape, Philox gen, long lo, long hi) {
    int n = (int) shape.numElements();
    Object out = Tensor.allocate(dtype, n);
    int group = groupSize(dtype);
    int groups = (n + group - 1) / group;
    Parallel.forRange(groups, GROUPS_PER_TASK, (first, limit) -> {
      GroupWriter w = writer(d, dtype, out, lo, hi);
      int[] words = new int[4];
      if (d == Distribution.TRUNCATED_NORMAL) {
        long skipPerGroup = (long) group * RESERVED_SAMPLES_PER_OUTPUT / 4;
        for (int g = first; g < limit; g++) {
          Philox local = gen.copy();
          local.skip(g * skipPerGroup);
          w.write(new Words(local), words, g * group, Math.min(group, n - g * group));
        }
      } else {
        Philox local = gen.copy();
        local.skip(first);
        for (int g = first; g < limit; g++) {
          local.next(words);
          w.write(null, words, g * group, Math.min(group, n - g * group));
        }
      }
    });
    return Tensor.of(dtype, shape, out);
  }

  /**
   * Outputs per group: what one generator call gives, 4 (2 of a 64-bit type); the truncated normal's groups have
   * the same sizes, though they may take more calls.
   */
  private static int groupSize(DType dtype) {
    boolean wide = dtype == DType.DOUBLE || dtype == DType.INT64 || dtype == DType.UINT64;
    return wide ? 2 : 4;
  }

  /** Writes one group of {@code count} outputs at {@code offset}, from {@code words} or (truncated) {@code single}. */
  @FunctionalInterface
  private interface GroupWriter {
    void write(Words single, int[] words, int offset, int count);
  }

  private static GroupWriter writer(Distribution d, DType dtype, Object out, long lo, long hi) {
    switch (d) {
      case UNIFORM:
        return uniform(dtype, out);
      case NORMAL:
        return normal(dtype, out);
      case TRUNCATED_NORMAL:
        return truncatedNormal(dtype, out);
      case UNIFORM_INT:
        return uniformInt(dtype, out, lo, hi);
      default:
        return fullInt(dtype, out);
    }
  }

  private static GroupWriter uniform(DType dtype, Object out) {
    switch (dtype) {
      case FLOAT: {
        float[] o = (float[]) out;
        return (s, w, off, count) -> {
          for (int i = 0; i < count; i++) {
            o[off + i] = uint32ToFloat(w[i]);
          }
        };
      }
      case DOUBLE: {
        double[] o = (double[]) out;
        return (s, w, off, count) -> {
          for (int i = 0; i < count; i++) {
            o[off + i] = uint64ToDouble(w[2 * i], w[2 * i + 1]);
          }
        };
      }
      case HALF: {
        short[] o = (short[]) out;
        return (s, w, off, count) -> {
          for (int i = 0; i < count; i++) {
            // 10 random mantissa bits of a half in [1, 2), minus 1 (exact)
            short one = (short) ((15 << 10) | (w[i] & 0x3ff));
            o[off + i] = Casts.floatToHalf(Casts.halfToFloat(one) - 1f);
          }
        };
      }
      case BFLOAT16: {
        short[] o = (short[]) out;
        return (s, w, off, count) -> {
          for (int i = 0; i < count; i++) {
            int one = (127 << 7) | (w[i] & 0x7f);
            o[off + i] = Casts.floatToBfloat16(Float.intBitsToFloat(one << 16) - 1f);
          }
        };
      }
      default:
        throw unsupported(dtype);
    }
  }

  private static GroupWriter normal(DType dtype, Object out) {
    if (dtype == DType.DOUBLE) {
      double[] o = (double[]) out;
      double[] pair = new double[2];
      return (s, w, off, count) -> {
        boxMullerDouble(w[0], w[1], w[2], w[3], pair);
        for (int i = 0; i < count; i++) {
          o[off + i] = pair[i];
        }
      };
    }
    FloatSink sink = floatSink(dtype, out);
    float[] pair = new float[2];
    return (s, w, off, count) -> {
      for (int i = 0; i < count; i += 2) {
        boxMullerFloat(w[i], w[i + 1], pair);
        sink.put(off + i, pair[0]);
        if (i + 1 < count) {
          sink.put(off + i + 1, pair[1]);
        }
      }
    };
  }

  private static GroupWriter truncatedNormal(DType dtype, Object out) {
    if (dtype == DType.DOUBLE) {
      double[] o = (double[]) out;
      double[] pair = new double[2];
      return (s, w, off, count) -> {
        int index = 0;
        while (true) {
          int x0 = s.next();
          int x1 = s.next();
          int x2 = s.next();
          int x3 = s.next();
          boxMullerDouble(x0, x1, x2, x3, pair);
          for (double d : pair) {
            if (Math.abs(d) < 2.0) {
              if (index < count) {
                o[off + index] = d;
              }
              if (++index >= 2) {
                return;
              }
            }
          }
        }
      };
    }
    FloatSink sink = floatSink(dtype, out);
    float[] pair = new float[2];
    return (s, w, off, count) -> {
      int index = 0;
      while (true) {
        int x0 = s.next();
        int x1 = s.next();
        boxMullerFloat(x0, x1, pair);
        for (float f : pair) {
          if (Math.abs(f) < 2.0f) {
            if (index < count) {
              sink.put(off + index, f);
            }
            if (++index >= 4) {
              return;
            }
          }
        }
      }
    };
  }

  private static GroupWriter uniformInt(DType dtype, Object out, long lo, long hi) {
    if (dtype == DType.INT32) {
      int[] o = (int[]) out;
      int low = (int) lo;
      int range = (int) hi - (int) lo;
      return (s, w, off, count) -> {
        for (int i = 0; i < count; i++) {
          o[off + i] = low + Integer.remainderUnsigned(w[i], range);
        }
      };
    }
    if (dtype == DType.INT64) {
      long[] o = (long[]) out;
      long range = hi - lo;
      return (s, w, off, count) -> {
        for (int i = 0; i < count; i++) {
          o[off + i] = lo + Long.remainderUnsigned(bits64(w[2 * i], w[2 * i + 1]), range);
        }
      };
    }
    throw unsupported(dtype);
  }

  private static GroupWriter fullInt(DType dtype, Object out) {
    switch (dtype) {
      case INT32: case UINT32: {
        int[] o = (int[]) out;
        return (s, w, off, count) -> System.arraycopy(w, 0, o, off, count);
      }
      case INT64: case UINT64: {
        long[] o = (long[]) out;
        return (s, w, off, count) -> {
          for (int i = 0; i < count; i++) {
            o[off + i] = bits64(w[2 * i], w[2 * i + 1]);
          }
        };
      }
      default:
        throw unsupported(dtype);
    }
  }

  private static KernelException unsupported(DType dtype) {
    return new KernelException("dtype " + dtype.pythonName() + " is not supported by this random op");
  }

  /** Stores float samples as the output dtype (half and bfloat16 round to nearest even, as Eigen). */
  @FunctionalInterface
  private interface FloatSink {
    void put(int i, float v);
  }

  private static FloatSink floatSink(DType dtype, Object out) {
    switch (dtype) {
      case FLOAT: {
        float[] o = (float[]) out;
        return (i, v) -> o[i] = v;
      }
      case HALF: {
        short[] o = (short[]) out;
        return (i, v) -> o[i] = Casts.floatToHalf(v);
      }
      case BFLOAT16: {
        short[] o = (short[]) out;
        return (i, v) -> o[i] = Casts.floatToBfloat16(v);
      }
      default:
        throw unsupported(dtype);
    }
  }

  /** TF's {@code SingleSampleAdapter}: one word at a time, a generator call per four. */
  static final class Words {
    private final Philox gen;
    private final int[] words = new int[4];
    private int used = 4;

    Words(Philox gen) {
      this.gen = gen;
    }

    int next() {
      if (used == 4) {
        gen.next(words);
        used = 0;
      }
      return words[used++];
    }
  }

  private static long bits64(int low, int high) {
    return (low & 0xFFFFFFFFL) | ((long) high << 32);
  }

  /** A float in [0, 1) from 23 random bits. */
  static float uint32ToFloat(int x) {
    return Float.intBitsToFloat((127 << 23) | (x & 0x7fffff)) - 1.0f;
  }

  /** A double in [0, 1) from 52 random bits (20 of {@code x0}, 32 of {@code x1}). */
  static double uint64ToDouble(int x0, int x1) {
    long mantissa = ((long) (x0 & 0xfffff) << 32) | (x1 & 0xFFFFFFFFL);
    return Double.longBitsToDouble((1023L << 52) | mantissa) - 1.0;
  }

  /** Two standard normal floats from two words, as TF's {@code BoxMullerFloat} built against glibc. */
  static void boxMullerFloat(int x0, int x1, float[] out) {
    float u1 = uint32ToFloat(x0);
    if (u1 < FLOAT_EPSILON) {
      u1 = FLOAT_EPSILON;
    }
    // 2.0f * M_PI is a double product: the angle is rounded to float once
    float v1 = (float) (2.0 * Math.PI * uint32ToFloat(x1));
    float u2 = (float) Math.sqrt(-2.0f * LibmFloat.logf(u1));
    long sc = LibmFloat.sincosf(v1);
    out[0] = LibmFloat.sinOf(sc) * u2;
    out[1] = LibmFloat.cosOf(sc) * u2;
  }

  /**
   * Two standard normal doubles from four words, as TF's {@code BoxMullerDouble} built against glibc (see
   * {@link LibmDouble} for how close its {@code log} and {@code sincos} are).
   */
  static void boxMullerDouble(int x0, int x1, int x2, int x3, double[] out) {
    double u1 = uint64ToDouble(x0, x1);
    if (u1 < DOUBLE_EPSILON) {
      u1 = DOUBLE_EPSILON;
    }
    double v1 = 2 * Math.PI * uint64ToDouble(x2, x3);
    double u2 = Math.sqrt(-2.0 * LibmDouble.log(u1));
    LibmDouble.sincos(v1, out);
    out[0] *= u2;
    out[1] *= u2;
  }
}
