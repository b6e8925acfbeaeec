package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;

/**
 * Cast between numeric dtypes and bool with C++/x86 semantics: float to integer truncates toward zero (NaN and
 * out-of-range values give the minimum value, as cvttss2si does), integers wrap, float16/bfloat16 round to nearest
 * even, anything to bool is "not zero".
 */
public final class Casts {
  private Casts() {}

  public static Tensor cast(Tensor x, DType to) {
    DType from = x.dtype();
    if (from == to) {
      return x;
    }
    if (from == DType.STRING || to == DType.STRING || !to.isFixedSize() || !from.isFixedSize()) {
      throw new KernelException("Cast from " + from + " to " + to + " is not supported");
    }
    int n = x.size();
    Object out = Tensor.allocate(to, n);
    boolean fromFloat = from.isFloating();
    for (int i = 0; i < n; i++) {
      if (fromFloat) {
        if (from == DType.DOUBLE) {
          putDouble(out, to, i, x.doubles()[i]);
        } else {
          putFloat(out, to, i, readFloat(x, i));
        }
      } else if (from == DType.BOOL) {
        putLong(out, to, i, x.bools()[i] ? 1 : 0, false);
      } else {
        putLong(out, to, i, readLong(x, i), from == DType.UINT64);
      }
    }
    return Tensor.of(to, x.shape(), out);
  }

  static float readFloat(Tensor x, int i) {
    switch (x.dtype()) {
      case FLOAT:
        return x.floats()[i];
      case HALF:
        return halfToFloat(((short[]) x.array())[i]);
      case BFLOAT16:
        return Float.intBitsToFloat((((short[]) x.array())[i] & 0xffff) << 16);
      default:
        throw new KernelException("not a float dtype: " + x.dtype());
    }
  }

  /** An integer element, zero-extended for unsigned dtypes (uint64 keeps its bits). */
  static long readLong(Tensor x, int i) {
    Object a = x.array();
    switch (x.dtype()) {
      case UINT8: case QUINT8:
        return ((byte[]) a)[i] & 0xffL;
      case UINT16: case QUINT16:
        return ((short[]) a)[i] & 0xffffL;
      case UINT32:
        return ((int[]) a)[i] & 0xffffffffL;
      default:
        return x.getLong(i);
    }
  }

  private static void putFloat(Object out, DType to, int i, float v) {
    switch (to) {
      case FLOAT:
        ((float[]) out)[i] = v;
        return;
      case DOUBLE:
        ((double[]) out)[i] = v;
        return;
      case HALF:
        ((short[]) out)[i] = floatToHalf(v);
        return;
      case BFLOAT16:
        ((short[]) out)[i] = floatToBfloat16(v);
        return;
      case BOOL:
        ((boolean[]) out)[i] = v != 0;
        return;
      case INT64: case UINT64:
        ((long[]) out)[i] = truncToLong(v);
        return;
      case INT8: case UINT8: case INT16: case UINT16: case QINT8: case QUINT8: case QINT16: case QUINT16:
        putLong(out, to, i, saturate(v, to), false);
        return;
      default:
        putLong(out, to, i, truncToInt(v), false);
    }
  }

  /** Float to a narrow integer type saturates (NaN gives 0), as Eigen's cast does. */
  private static long saturate(double v, DType to) {
    if (Double.isNaN(v)) {
      return 0;
    }
    long lo;
    long hi;
    switch (to) {
      case INT8: case QINT8:
        lo = Byte.MIN_VALUE;
        hi = Byte.MAX_VALUE;
        break;
      case UINT8: case QUINT8:
        lo = 0;
        hi = 255;
        break;
      case INT16: case QINT16:
        lo = Short.MIN_VALUE;
        hi = Short.MAX_VALUE;
        break;
      default:
        lo = 0;
        hi = 65535;
    }
    return (long) Math.max(lo, Math.min(hi, (double) (long) v));
  }

  private static void putDouble(Object out, DType to, int i, double v) {
    switch (to) {
      case FLOAT:
        ((float[]) out)[i] = (float) v;
        return;
      case HALF: case BFLOAT16:
        putFloat(out, to, i, (float) v);
        return;
      case BOOL:
        ((boolean[]) out)[i] = v != 0;
        return;
      case INT64: case UINT64:
        ((long[]) out)[i] = truncToLong(v);
        return;
      case INT8: case UINT8: case INT16: case UINT16: case QINT8: case QUINT8: case QINT16: case QUINT16:
        putLong(out, to, i, saturate(v, to), false);
        return;
      default:
        putLong(out, to, i, truncToInt(v), false);
    }
  }

  private static void putLong(Object out, DType to, int i, long v, boolean unsigned64) {
    switch (to) {
      case FLOAT:
        ((float[]) out)[i] = unsigned64 && v < 0 ? unsignedToFloat(v) : (float) v;
        return;
      case DOUBLE:
        ((double[]) out)[i] = unsigned64 && v < 0 ? unsignedToDouble(v) : (double) v;
        return;
      case HALF: case BFLOAT16:
        putFloat(out, to, i, unsigned64 && v < 0 ? unsignedToFloat(v) : (float) v);
        return;
      case BOOL:
        ((boolean[]) out)[i] = v != 0;
        return;
      default:
        break;
    }
    Object a = out;
    if (a instanceof int[] ia) {
      ia[i] = (int) v;
    } else if (a instanceof long[] la) {
      la[i] = v;
    } else if (a instanceof short[] sa) {
      sa[i] = (short) v;
    } else if (a instanceof byte[] ba) {
      ba[i] = (byte) v;
    } else {
      throw new KernelException("Cast to " + to + " is not supported");
    }
  }

  private static int truncToInt(double v) {
    if (Double.isNaN(v) || v >= 2147483648.0 || v <= -2147483649.0) {
      return Integer.MIN_VALUE;
    }
    return (int) v;
  }

  private static long truncToLong(double v) {
    if (Double.isNaN(v) || v >= 9.223372036854775807E18 || v < -9.223372036854775808E18) {
      return Long.MIN_VALUE;
    }
    return (long) v;
  }

  private static float unsignedToFloat(long v) {
    return (float) ((v >>> 1) | (v & 1)) * 2f;
  }

  private static double unsignedToDouble(long v) {
    return (double) ((v >>> 1) | (v & 1)) * 2.0;
  }

  /** IEEE binary16 bits to float (exact). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float f = mant * 0x1p-24f;
      return sign != 0 ? -f : f;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Float to IEEE binary16 bits, rounding to nearest even. */
  public static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs >= 0x7f800000) {
      return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
    }
    if (abs >= 0x477ff000) { // rounds to >= 65520: infinity
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) { // below the smallest normal half: subnormal or zero
      float v = Float.intBitsToFloat(abs) * 0x1p24f; // in units of 2^-24
      int m = (int) Math.rint(v);
      return (short) (sign | m);
    }
    int exp = (abs >>> 23) - 112;
    int mant = abs & 0x7fffff;
    int h = (exp << 10) | (mant >>> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
      h++;
    }
    return (short) (sign | h);
  }

  /** Float to bfloat16 bits, rounding to nearest even (as Eigen::bfloat16). */
  public static short floatToBfloat16(float f) {
    if (Float.isNaN(f)) {
      return (short) ((Float.floatToRawIntBits(f) >>> 16) | 0x40);
    }
    int bits = Float.floatToRawIntBits(f);
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }
}
