package io.tfgw.runtime.kernels;

/**
 * TensorFlow runs kernels with the CPU flushing denormals to zero (FTZ) and treating denormal inputs as zero (DAZ);
 * float arithmetic here does the same so that results keep TF's bits in that range too.
 */
public final class Denormals {
  private Denormals() {}

  /** A float32 denormal becomes a zero of the same sign; everything else (NaN too) is unchanged. */
  public static float flush(float x) {
    return Math.abs(x) < Float.MIN_NORMAL ? Math.copySign(0f, x) : x;
  }

  public static double flush(double x) {
    return Math.abs(x) < Double.MIN_NORMAL ? Math.copySign(0d, x) : x;
  }

  /** Flushes every element in place. */
  public static float[] flush(float[] a) {
    for (int i = 0; i < a.length; i++) {
      if (Math.abs(a[i]) < Float.MIN_NORMAL) {
        a[i] = Math.copySign(0f, a[i]);
      }
    }
    return a;
  }

  /** Flushes a[from, to) in place. */
  public static void flush(float[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (Math.abs(a[i]) < Float.MIN_NORMAL) {
        a[i] = Math.copySign(0f, a[i]);
      }
    }
  }

    public static double[] flush(double[] a) {
    for (int i = 0; i < a.length; i++) {
      if (Math.abs(a[i]) < Double.MIN_NORMAL) {
        a[i] = Math.copySign(0d, a[i]);
      }
    }
    return a;
  }
}
