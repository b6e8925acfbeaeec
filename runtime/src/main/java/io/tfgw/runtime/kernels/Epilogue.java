package io.tfgw.runtime.kernels;

import io.tfgw.core.tensor.DType;
import io.tfgw.runtime.Tensor;
import java.util.Set;

/**
 * A BiasAdd and an optional activation that a MatMul or Conv2D applies to its float output while it is still in
 * cache, instead of two more ops each reading and writing the whole tensor (TF's grappler fuses the same chains into
 * _FusedMatMul/_FusedConv2D). The runtime builds one for the last node of such a chain (see the runtime's Program).
 *
 * <p>Same bits as the separate ops: TF adds the bias to the finished dot product, a rounding step of its own, so
 * each element becomes {@code flush(flush(c) + flush(bias[ch]))} exactly as {@code BiasAdd} computes it, then the
 * activation with the very function its kernel uses ({@link MathKernels#RELU} and friends).
 */
public final class Epilogue {
  /** The activations that can end a fused chain. */
  public static final Set<String> ACTIVATIONS = Set.of("Relu", "Relu6", "Elu", "Tanh", "Sigmoid");

  private final float[] bias;
  private final Elementwise.F1 activation;
  /** Whether the activation runs as its kernel's flush(f(flush(x))); Elu flushes inside (bitwise kernel). */
  private final boolean flushActivation;

  private Epilogue(float[] bias, Elementwise.F1 activation, boolean flushActivation) {
    this.bias = bias;
    this.activation = activation;
    this.flushActivation = flushActivation;
  }

  /**
   * The epilogue of {@code BiasAdd(·, bias)} then {@code activationOp} (null: none), or null when the values do not
   * allow it (not a 1-D float bias): the chain then runs op by op.
   */
  public static Epilogue of(Tensor bias, String activationOp) {
    if (bias.dtype() != DType.FLOAT || bias.rank() != 1 || bias.size() == 0) {
      return null;
    }
    float[] b = Denormals.flush(bias.floats().clone());
    if (activationOp == null) {
      return new Epilogue(b, null, false);
    }
    return switch (activationOp) {
      case "Relu" -> new Epilogue(b, MathKernels.RELU, true);
      case "Relu6" -> new Epilogue(b, MathKernels.RELU6, true);
      case "Tanh" -> new Epilogue(b, MathKernels.TANH, true);
      case "Sigmoid" -> new Epilogue(b, MathKernels.SIGMOID, true);
      case "Elu" -> new Epilogue(b, MathKernels.ELU, false);
      default -> throw new IllegalArgumentException("not a fusable activation: " + activationOp);
    };
  }

  /** The bias length: the output's innermost dimension must be this for the epilogue to apply. */
  public int channels() {
    return bias.length;
  }

  /**
   * Applies to the product in {@code c[from, to)}, flushing it first as the producer's output is flushed; element i
   * has channel {@code i % channels()} (row-major with channels innermost: MatMul's [M, N], Conv2D's NHWC),
   * {@code from} a multiple of it.
   */
  void apply(float[] c, int from, int to) {
    int channels = bias.length;
    for (int row = from; row < to; row += channels) {
      int end = Math.min(to, row + channels);
      // BiasAdd: flush(flush(x) + b), with b flushed once in of(); its result is never a denormal
      for (int i = row, ch = 0; i < end; i++, ch++) {
        c[i] = Denormals.flush(Denormals.flush(c[i]) + bias[ch]);
      }
      if (activation == MathKernels.RELU) {
        // the Relu kernel's branch-free form: on a flushed x, flush(relu(x)) is max(x, 0) with NaN kept as is
        for (int i = row; i < end; i++) {
          float v = c[i];
          float m = Math.max(v, 0f);
          c[i] = v != v ? v : m;
        }
      } else if (activation != null) {
        // Relu6, Tanh, Sigmoid: their kernels' flush(f(flush(x))); Elu: f(x), flushing inside
        Elementwise.F1 f = activation;
        if (flushActivation) {
          for (int i = row; i < end; i++) {
            c[i] = Denormals.flush(f.f(Denormals.flush(c[i])));
          }
        } else {
          for (int i = row; i < end; i++) {
            c[i] = f.f(c[i]);
          }
        }
      }
    }
  }

  /** Whether the vector GEMM can finish its tiles with this epilogue itself: a bias, then Relu or nothing. */
  boolean fitsVectorTile() {
    return activation == null || activation == MathKernels.RELU;
  }

  float[] bias() {
    return bias;
  }

  boolean relu() {
    return activation == MathKernels.RELU;
  }

  /** Applies to all of {@code c}, split over the cores by rows. */
  void applyAll(float[] c) {
    int channels = bias.length;
    int rows = c.length / channels;
    Parallel.forRangeCost(rows, channels * 4L, (lo, hi) -> apply(c, lo * channels, hi * channels));
  }
}
