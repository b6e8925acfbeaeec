package io.tfgw.core.tensor;

import io.tfgw.core.CorruptInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins the stored slices of a partitioned variable into the full tensor, streaming.
 *
 * <p>It needs no random access and no buffer of tensor size: a slice is a hyper-rectangle, so the order in which
 * its elements appear in the full tensor's row-major walk is exactly the slice's own row-major order. The full
 * tensor is therefore a sequence of runs, each taken from the front of one slice's stream. Partitioning along axis
 * 0 (what TF's partitioners do) gives one run per slice; partitioning along later axes gives one run per slice per
 * row.
 */
public final class SliceAssembler {
  private static final int BUFFER = 1 << 16;

  /** One stored slice and its values (whose shape is the slice's shape). */
  public record Part(TensorSlice slice, TensorData data) {}

  private SliceAssembler() {}

  /** The full tensor; fails when the slices do not tile it exactly (a gap, an overlap, a wrong shape). */
  public static TensorData assemble(String name, DType dtype, Shape full, List<Part> parts) {
    List<Part> nonEmpty = new ArrayList<>();
    long covered = 0;
    for (Part p : parts) {
      if (!p.slice().fits(full)) {
        throw new CorruptInputException("Slice " + p.slice() + " of " + name + " does not fit its shape " + full);
      }
      Shape sliceShape = p.slice().sliceShape(full);
      if (!sliceShape.equals(p.data().shape()) || p.data().dtype() != dtype) {
        throw new CorruptInputException("Slice " + p.slice() + " of " + name + " holds " + p.data().dtype()
            + p.data().shape() + " but should hold " + dtype + sliceShape);
      }
      if (sliceShape.numElements() > 0) {
        nonEmpty.add(p);
        covered += sliceShape.numElements();
      }
    }
    for (int i = 0; i < nonEmpty.size(); i++) {
      for (int j = i + 1; j < nonEmpty.size(); j++) {
        if (overlap(nonEmpty.get(i).slice(), nonEmpty.get(j).slice(), full)) {
          throw new CorruptInputException("Slices " + nonEmpty.get(i).slice() + " and " + nonEmpty.get(j).slice()
              + " of " + name + " overlap");
        }
      }
    }
    if (covered != full.numElements()) {
      throw new CorruptInputException("The slices of " + name + " cover " + covered + " of its " + full.numElements()
          + " elements (shape " + full + "); a shard with the missing slices may be absent");
    }
    if (nonEmpty.size() == 1) {
      TensorData only = nonEmpty.get(0).data();
      return new Assembled(dtype, full, () -> only.open());
    }
    if (nonEmpty.isEmpty()) {
      return new Assembled(dtype, full, () -> new ByteArrayInputStream(new byte[0]));
    }
    return new Assembled(dtype, full, () -> new AssemblingStream(name, dtype, full, nonEmpty));
  }

  private static boolean overlap(TensorSlice a, TensorSlice b, Shape full) {
    for (int d = 0; d < full.rank(); d++) {
      long lo = Math.max(a.isFullAt(d) ? 0 : a.start(d), b.isFullAt(d) ? 0 : b.start(d));
      long hi = Math.min(a.end(d, full), b.end(d, full));
      if (lo >= hi) {
        return false;
      }
    }
    return true;
  }

  private record Assembled(DType dtype, Shape shape, java.util.function.Supplier<InputStream> opener)
      implements TensorData {
    @Override
    public InputStream open() {
      return opener.get();
    }
  }

  /** Pulls runs from the slice streams in the full tensor's row-major order. */
  private static final class AssemblingStream extends InputStream {
    private final String name;
    private final DType dtype;
    private final Shape full;
    private final List<Part> parts;
    private final InputStream[] streams;
    private final int lastSplitDim;
    private final long inner; // elements per step along lastSplitDim
    private final long[] rowIndex; // index over dims [0, lastSplitDim)
    private long column; // position along lastSplitDim
    private boolean rowsDone;

    private int segmentPart = -1;
    private long segmentElements;
    private long elementBytesLeft; // for variable-size elements: bytes of the current element still to copy
    private final byte[] buffer = new byte[BUFFER];
    private int bufPos;
    private int bufLen;
    private boolean finished;

    AssemblingStream(String name, DType dtype, Shape full, List<Part> parts) {
      this.name = name;
      this.dtype = dtype;
      this.full = full;
      this.parts = parts;
      this.streams = new InputStream[parts.size()];
      int split = -1;
      for (Part p : parts) {
        for (int d = 0; d < full.rank(); d++) {
          if (!p.slice().coversWholeDim(d, full)) {
            split = Math.max(split, d);
          }
        }
      }
      this.lastSplitDim = split;
      long in = 1;
      for (int d = split + 1; d < full.rank(); d++) {
        in *= full.dim(d);
      }
      this.inner = in;
      this.rowIndex = new long[split];
    }

    private boolean nextSegment() {
      if (rowsDone) {
        return false;
      }
      if (column >= full.dim(lastSplitDim)) {
        column = 0;
        int d = rowIndex.length - 1;
        while (d >= 0) {
          if (++rowIndex[d] < full.dim(d)) {
            break;
          }
          rowIndex[d] = 0;
          d--;
        }
        if (d < 0) {
          rowsDone = true;
          return false;
        }
      }
      for (int i = 0; i < parts.size(); i++) {
        TensorSlice s = parts.get(i).slice();
        if (contains(s, column)) {
          long end = s.end(lastSplitDim, full);
          segmentPart = i;
          segmentElements = (end - column) * inner;
          column = end;
          return true;
        }
      }
      throw new CorruptInputException("No slice of " + name + " holds the element at row " + java.util.Arrays.toString(rowIndex)
          + ", index " + column + " of dimension " + lastSplitDim);
    }

    private boolean contains(TensorSlice s, long col) {
      for (int d = 0; d < rowIndex.length; d++) {
        long start = s.isFullAt(d) ? 0 : s.start(d);
        if (rowIndex[d] < start || rowIndex[d] >= s.end(d, full)) {
          return false;
        }
      }
      long start = s.isFullAt(lastSplitDim) ? 0 : s.start(lastSplitDim);
      return col >= start && col < s.end(lastSplitDim, full);
    }

    private InputStream stream(int part) {
      if (streams[part] == null) {
        streams[part] = parts.get(part).data().open();
      }
      return streams[part];
    }

    private boolean fill() {
      while (true) {
        if (bufPos < bufLen) {
          return true;
        }
        bufPos = 0;
        bufLen = 0;
        if (segmentElements == 0 && elementBytesLeft == 0) {
          if (!nextSegment()) {
            finish();
            return false;
          }
        }
        InputStream in = stream(segmentPart);
        if (dtype.isFixedSize()) {
          long want = Math.min(BUFFER, segmentElements * dtype.elementSize());
          int n = CanonicalStrings.readFully(in, buffer, 0, (int) want);
          if (n == 0) {
            throw truncated();
          }
          bufLen = n;
          // n is a multiple of the element size except at a truncated end, which the next fill reports
          segmentElements -= n / dtype.elementSize();
          int rest = n % dtype.elementSize();
          if (rest != 0) {
            throw truncated();
          }
        } else if (elementBytesLeft == 0) {
          long len = CanonicalStrings.readLength(in, name);
          if (len < 0) {
            throw truncated();
          }
          CanonicalStrings.putLength(buffer, 0, len);
          bufLen = 8;
          elementBytesLeft = len;
          segmentElements--;
          if (len == 0) {
            elementBytesLeft = 0;
          }
        } else {
          int want = (int) Math.min(BUFFER, elementBytesLeft);
          int n = CanonicalStrings.readFully(in, buffer, 0, want);
          if (n == 0) {
            throw truncated();
          }
          bufLen = n;
          elementBytesLeft -= n;
        }
      }
    }

    private CorruptInputException truncated() {
      return new CorruptInputException("Slice " + parts.get(segmentPart).slice() + " of " + name
          + " ended before all its elements were read");
    }

    private void finish() {
      if (finished) {
        return;
      }
      finished = true;
      // Drain each slice to its end so that its checksum is verified even when the data ended exactly.
      for (int i = 0; i < streams.length; i++) {
        try (InputStream in = stream(i)) {
          if (in.read() >= 0) {
            throw new CorruptInputException("Slice " + parts.get(i).slice() + " of " + name
                + " holds more data than its shape needs");
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    @Override
    public int read() {
      return fill() ? buffer[bufPos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, bufLen - bufPos);
      System.arraycopy(buffer, bufPos, b, off, n);
      bufPos += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      IOException first = null;
      for (InputStream s : streams) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException e) {
            first = first == null ? e : first;
          }
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }
}
