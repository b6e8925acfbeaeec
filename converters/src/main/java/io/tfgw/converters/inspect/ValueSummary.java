package io.tfgw.converters.inspect;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.CanonicalStrings;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The values of one tensor for people: statistics and a numpy-like printout that elides the middle of large
 * arrays (numpy's edgeitems=3, threshold=1000), plus the exact values for machines.
 */
public final class ValueSummary {
  /** Above this many elements, the printout shows only the first and last {@link #EDGE} along each dimension. */
  static final int THRESHOLD = 1000;
  static final int EDGE = 3;
  /** At most this many values are kept for {@link #values()}; the statistics cover every element. */
  public static final int MAX_VALUES = 1_000_000;

  private final String name;
  private final DType dtype;
  private final Shape shape;
  private final List<Object> values; // Double, Long, Boolean, String (strings), double[2] (complex)
  private final boolean truncated;
  private final Stats stats;

  /** Statistics over every element of a numeric tensor (null fields for non-numeric). */
  public record Stats(Double min, Double max, Double mean, Double std, long nan, long inf, long zeros) {}

  private ValueSummary(String name, DType dtype, Shape shape, List<Object> values, boolean truncated, Stats stats) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.values = values;
    this.truncated = truncated;
    this.stats = stats;
  }

  /** The tensor's name. */
  public String name() {
    return name;
  }

  /** The tensor's dtype. */
  public DType dtype() {
    return dtype;
  }

  /** The tensor's shape. */
  public Shape shape() {
    return shape;
  }

  /** Row-major values (Double, Long, Boolean, byte[] for strings, double[2] for complex). */
  public List<Object> values() {
    return values;
  }

  /** Whether {@link #values()} stops at {@link #MAX_VALUES} elements. */
  public boolean truncated() {
    return truncated;
  }

  /** Statistics over every element. */
  public Stats stats() {
    return stats;
  }

  /** Reads every element of {@code data} once: statistics, and the first {@link #MAX_VALUES} values. */
  public static ValueSummary of(String name, TensorData data) {
    DType dtype = data.dtype();
    long n = data.shape().numElements();
    List<Object> values = new ArrayList<>();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double mean = 0;
    double m2 = 0;
    long finite = 0;
    long nan = 0;
    long inf = 0;
    long zeros = 0;
    boolean numeric = dtype != DType.STRING && !dtype.isComplex() && dtype.isFixedSize();
    if (!dtype.isFixedSize() && dtype != DType.STRING) {
      throw new UnsupportedInputException("Cannot show values of a " + dtype + " tensor");
    }
    try (InputStream raw = data.open()) {
      InputStream in = new java.io.BufferedInputStream(raw, 1 << 16);
      byte[] elem = new byte[Math.max(16, dtype.elementSize())];
      for (long i = 0; i < n; i++) {
        Object v;
        if (dtype == DType.STRING) {
          long len = CanonicalStrings.readLength(in, name);
          byte[] s = new byte[(int) Math.min(len, 4096)];
          CanonicalStrings.readFully(in, s, 0, s.length);
          in.skipNBytes(len - s.length);
          v = s;
        } else {
          CanonicalStrings.readFully(in, elem, 0, dtype.elementSize());
          v = decode(dtype, ByteBuffer.wrap(elem).order(ByteOrder.LITTLE_ENDIAN));
        }
        if (numeric) {
          double d = v instanceof Long l ? l : v instanceof Boolean b ? (b ? 1 : 0) : (Double) v;
          if (Double.isNaN(d)) {
            nan++;
          } else if (Double.isInfinite(d)) {
            inf++;
          } else {
            finite++;
            min = Math.min(min, d);
            max = Math.max(max, d);
            double delta = d - mean;
            mean += delta / finite;
            m2 += delta * (d - mean);
          }
          if (d == 0) {
            zeros++;
          }
        }
        if (values.size() < MAX_VALUES) {
          values.add(v);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Stats stats = numeric && finite > 0
        ? new Stats(min, max, mean, Math.sqrt(m2 / finite), nan, inf, zeros)
        : new Stats(null, null, null, null, nan, inf, zeros);
    return new ValueSummary(name, dtype, data.shape(), values, n > MAX_VALUES, stats);
  }

  /**
   * One element from a little-endian buffer: Double for floating dtypes, Long for integers, Boolean, double[2] for
   * complex (used by {@code tfgw serve}'s statistics too).
   */
  public static Object decode(DType dtype, ByteBuffer b) {
    switch (dtype) {
      case FLOAT:
        return (double) b.getFloat();
      case DOUBLE:
        return b.getDouble();
      case HALF:
        return (double) halfToFloat(b.getShort());
      case BFLOAT16:
        return (double) Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
      case INT8: case QINT8:
        return (long) b.get();
      case UINT8: case QUINT8:
        return (long) (b.get() & 0xff);
      case INT16: case QINT16:
        return (long) b.getShort();
      case UINT16: case QUINT16:
        return (long) (b.getShort() & 0xffff);
      case INT32: case QINT32:
        return (long) b.getInt();
      case UINT32:
        return b.getInt() & 0xffffffffL;
      case INT64:
        return b.getLong();
      case UINT64: {
        long v = b.getLong();
        return v >= 0 ? (Object) v : (Object) Double.parseDouble(Long.toUnsignedString(v));
      }
      case BOOL:
        return b.get() != 0;
      case COMPLEX64:
        return new double[] {b.getFloat(), b.getFloat()};
      case COMPLEX128:
        return new double[] {b.getDouble(), b.getDouble()};
      case INT4:
        return (long) ((byte) (b.get() << 4) >> 4);
      case UINT4:
        return (long) (b.get() & 0x0f);
      default: // float8 variants: show the raw byte
        return (long) (b.get() & 0xff);
    }
  }

  /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f; // 2^-14 * mant/2^10
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** numpy-style printout, eliding the middle of every dimension of a large array. */
  public String toNumpyString() {
    StringBuilder b = new StringBuilder();
    long n = shape.numElements();
    boolean summarize = n > THRESHOLD;
    if (truncated) {
      return "(" + n + " elements; too many to print)";
    }
    print(b, 0, 0, summarize, shape.rank());
    return b.toString();
  }

  private void print(StringBuilder b, int dim, long offset, boolean summarize, int rank) {
    if (rank == 0) {
      b.append(format(values.get(0)));
      return;
    }
    long size = shape.dim(dim);
    long stride = 1;
    for (int d = dim + 1; d < rank; d++) {
      stride *= shape.dim(d);
    }
    b.append('[');
    for (long i = 0; i < size; i++) {
      if (summarize && size > 2 * EDGE && i == EDGE) {
        b.append(dim == rank - 1 ? "..., " : "...,\n" + " ".repeat(dim + 1));
        i = size - EDGE - 1;
        continue;
      }
      if (dim == rank - 1) {
        b.append(format(values.get((int) (offset + i))));
        if (i < size - 1) {
          b.append(", ");
        }
      } else {
        print(b, dim + 1, offset + i * stride, summarize, rank);
        if (i < size - 1) {
          b.append(",\n").append("\n".repeat(Math.max(0, rank - dim - 2))).append(" ".repeat(dim + 1));
        }
      }
    }
    b.append(']');
  }

  static String format(Object v) {
    if (v instanceof Double d) {
      return formatDouble(d);
    }
    if (v instanceof Boolean bo) {
      return bo ? "True" : "False";
    }
    if (v instanceof byte[] s) {
      return "b'" + escape(s) + "'";
    }
    if (v instanceof double[] c) {
      return formatDouble(c[0]) + (c[1] < 0 || (c[1] == 0 && 1 / c[1] < 0) ? "-" : "+") + formatDouble(Math.abs(c[1])) + "j";
    }
    return String.valueOf(v);
  }

  /** Eight significant digits, trailing zeros dropped, as numpy prints by default. */
  static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0." : "0.";
    }
    double abs = Math.abs(d);
    BigDecimal bd = new BigDecimal(d).round(new MathContext(8));
    if (abs >= 1e-4 && abs < 1e16) {
      String s = bd.stripTrailingZeros().toPlainString();
      return s.contains(".") ? s : s + ".";
    }
    String s = String.format("%.7e", d);
    String mant = s.substring(0, s.indexOf('e')).replaceAll("0+$", "");
    String exp = s.substring(s.indexOf('e') + 1);
    int e = Integer.parseInt(exp);
    return mant + "e" + (e < 0 ? "-" : "+") + String.format("%02d", Math.abs(e));
  }

  private static String escape(byte[] s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s) {
      int c = x & 0xff;
      if (c == '\\' || c == '\'') {
        b.append('\\').append((char) c);
      } else if (c >= 0x20 && c < 0x7f) {
        b.append((char) c);
      } else {
        b.append(String.format("\\x%02x", c));
      }
    }
    return b.toString();
  }

  /** Decodes a string value for display when it is valid UTF-8. */
  public static String utf8(byte[] s) {
    return new String(s, StandardCharsets.UTF_8);
  }
}
