package io.tfgw.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * MaxPool over NHWC floats with the channels as vector lanes. Why: the scalar loop's {@code if (v > acc[ch])} reads
 * x and acc from different offsets, which C2 (JDK 17) does not vectorize; after the conv layers became fast it was a
 * third of a conv net's time. Same result as the scalar kernel: a lane takes v only when {@code v > acc} (so NaN
 * never replaces the running maximum, as in TF), starting from {@code -Float.MAX_VALUE}; loaded only when
 * {@link Gemm#VECTOR}.
 */
final class VectorMaxPool {
  private VectorMaxPool() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Output rows [lo, hi) (counted over the batch) of a max pool; window k, strides s, padding before padT/padL. */
  static void rows(float[] x, float[] out, int h, int w, int c, int[] k, int[] s, int padT, int padL, int outH,
      int outW, int lo, int hi) {
    FloatVector lowest = FloatVector.broadcast(SPECIES, -Float.MAX_VALUE);
    int vectorChannels = c - c % LANES;
    for (int task = lo; task < hi; task++) {
      int b = task / outH;
      int r = task % outH;
      int h0 = r * s[0] - padT;
      int ihLo = Math.max(h0, 0);
      int ihHi = Math.min(h0 + k[0], h);
      for (int col = 0; col < outW; col++) {
        int w0 = col * s[1] - padL;
        int iwLo = Math.max(w0, 0);
        int iwHi = Math.min(w0 + k[1], w);
        int o = (task * outW + col) * c;
        for (int ch = 0; ch < vectorChannels; ch += LANES) {
          FloatVector acc = lowest;
          for (int ih = ihLo; ih < ihHi; ih++) {
            for (int iw = iwLo; iw < iwHi; iw++) {
              FloatVector v = FloatVector.fromArray(SPECIES, x, ((b * h + ih) * w + iw) * c + ch);
              acc = acc.blend(v, v.compare(VectorOperators.GT, acc));
            }
          }
          acc.intoArray(out, o + ch);
        }
        for (int ch = vectorChannels; ch < c; ch++) {
          float acc = -Float.MAX_VALUE;
          for (int ih = ihLo; ih < ihHi; ih++) {
            for (int iw = iwLo; iw < iwHi; iw++) {
              float v = x[((b * h + ih) * w + iw) * c + ch];
              if (v > acc) {
                acc = v;
              }
            }
          }
          out[o + ch] = acc;
        }
        for (int ch = 0; ch < c; ch++) {
          out[o + ch] = Denormals.flush(out[o + ch]);
        }
      }
    }
  }
}
