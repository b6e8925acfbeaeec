package io.tfgw.serve;

import io.tfgw.converters.inspect.ValueSummary;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorData;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Statistics and a histogram of one numeric tensor, in two streaming passes over its bytes (min/max first, then the
 * bins between them), so memory stays constant whatever the tensor's size and only that tensor is read.
 *
 * @param edges the bins' {@code bins.length + 1} edges; the last bin includes its upper edge
 */
record TensorStats(long count, double min, double max, double mean, double std, long nan, long inf, long zeros,
    double[] edges, long[] bins) {

  static final int BINS = 40;

  static TensorStats of(String name, TensorData data) {
    DType dtype = data.dtype();
    if (!dtype.isFixedSize() || dtype.isComplex() || dtype == DType.STRING) {
      throw new UnsupportedInputException("No statistics for a " + dtype + " tensor (" + name + ")");
    }
    long n = data.shape().numElements();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double mean = 0;
    double m2 = 0;
    long finite = 0;
    long nan = 0;
    long inf = 0;
    long zeros = 0;
    try (InputStream in = new BufferedInputStream(data.open(), 1 << 16)) {
      Elements e = new Elements(in, dtype);
      for (long i = 0; i < n; i++) {
        double d = e.next();
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
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    long[] bins = new long[finite == 0 ? 0 : BINS];
    double[] edges = new double[bins.length + (finite == 0 ? 0 : 1)];
    if (finite > 0) {
      double width = (max - min) / BINS;
      for (int i = 0; i <= BINS; i++) {
        edges[i] = min + width * i;
      }
      edges[BINS] = max;
      try (InputStream in = new BufferedInputStream(data.open(), 1 << 16)) {
        Elements e = new Elements(in, dtype);
        for (long i = 0; i < n; i++) {
          double d = e.next();
          if (Double.isNaN(d) || Double.isInfinite(d)) {
            continue;
          }
          int bin = width == 0 ? 0 : (int) Math.min(BINS - 1, Math.floor((d - min) / width));
          bins[Math.max(0, bin)]++;
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    double std = finite == 0 ? Double.NaN : Math.sqrt(m2 / finite);
    return new TensorStats(n, finite == 0 ? Double.NaN : min, finite == 0 ? Double.NaN : max,
        finite == 0 ? Double.NaN : mean, std, nan, inf, zeros, edges, bins);
  }

  /** Elements of a fixed-size dtype as doubles, read one at a time. */
  private static final class Elements {
    private final InputStream in;
    private final DType dtype;
    private final byte[] bytes;
    private final ByteBuffer buffer;

    Elements(InputStream in, DType dtype) {
      this.in = in;
      this.dtype = dtype;
      this.bytes = new byte[Math.max(1, dtype.elementSize())];
      this.buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    double next() throws IOException {
      int got = in.readNBytes(bytes, 0, bytes.length);
      if (got != bytes.length) {
        throw new IOException("tensor data ended early");
      }
      buffer.clear();
      Object v = ValueSummary.decode(dtype, buffer);
      return v instanceof Long l ? l : v instanceof Boolean b ? (b ? 1 : 0) : (Double) v;
    }
  }
}
