package io.tfgw.core.tensor;

import io.tfgw.core.CorruptInputException;
import io.tfgw.proto.TensorSliceProto;
import java.util.Arrays;

/**
 * A rectangular part of a tensor, one (start, length) extent per dimension; length -1 means the whole dimension.
 * Text form is TF's ({@code tensor_slice.cc}): extents joined by ':', each {@code start,length} or {@code -},
 * e.g. {@code 0,2:-}.
 */
public final class TensorSlice {
  public static final long FULL = -1;

  private final long[] starts;
  private final long[] lengths;

  private TensorSlice(long[] starts, long[] lengths) {
    this.starts = starts;
    this.lengths = lengths;
  }

  /** The slice covering a whole tensor of the given rank. */
  public static TensorSlice full(int rank) {
    long[] lengths = new long[rank];
    Arrays.fill(lengths, FULL);
    return new TensorSlice(new long[rank], lengths);
  }

  public static TensorSlice of(long[] starts, long[] lengths) {
    if (starts.length != lengths.length) {
      throw new IllegalArgumentException("starts and lengths differ in rank");
    }
    for (int i = 0; i < starts.length; i++) {
      if (lengths[i] == FULL) {
        if (starts[i] != 0) {
          throw new IllegalArgumentException("a full extent must start at 0");
        }
      } else if (starts[i] < 0 || lengths[i] < 0) {
        throw new IllegalArgumentException("negative extent in slice");
      }
    }
    return new TensorSlice(starts.clone(), lengths.clone());
  }

  /** Parses TF's text form; {@code ""} is the full slice of a scalar. */
  public static TensorSlice parse(String text) {
    if (text.isEmpty()) {
      return full(0);
    }
    String[] parts = text.split(":", -1);
    long[] starts = new long[parts.length];
    long[] lengths = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.equals("-")) {
        lengths[i] = FULL;
        continue;
      }
      int comma = p.indexOf(',');
      try {
        if (comma < 0) {
          throw new NumberFormatException();
        }
        starts[i] = Long.parseLong(p.substring(0, comma));
        lengths[i] = Long.parseLong(p.substring(comma + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Bad tensor slice '" + text + "': extent '" + p
            + "' is neither '-' nor 'start,length'");
      }
      if (starts[i] < 0 || lengths[i] < 0) {
        throw new IllegalArgumentException("Bad tensor slice '" + text + "': negative extent");
      }
    }
    return new TensorSlice(starts, lengths);
  }

  public static TensorSlice fromProto(TensorSliceProto proto) {
    int rank = proto.getExtentCount();
    long[] starts = new long[rank];
    long[] lengths = new long[rank];
    for (int i = 0; i < rank; i++) {
      TensorSliceProto.Extent e = proto.getExtent(i);
      starts[i] = e.getStart();
      lengths[i] = e.hasLength() ? e.getLength() : FULL;
      if (starts[i] < 0 || (lengths[i] != FULL && lengths[i] < 0) || (lengths[i] == FULL && starts[i] != 0)) {
        throw new CorruptInputException("invalid slice extent " + e.getStart() + "," + e.getLength());
      }
    }
    return new TensorSlice(starts, lengths);
  }

  /** As TF's {@code TensorSlice::AsProto}: an empty extent for a full dimension, start and length otherwise. */
  public TensorSliceProto toProto() {
    TensorSliceProto.Builder b = TensorSliceProto.newBuilder();
    for (int i = 0; i < rank(); i++) {
      TensorSliceProto.Extent.Builder e = TensorSliceProto.Extent.newBuilder();
      if (lengths[i] != FULL) {
        e.setStart(starts[i]).setLength(lengths[i]);
      }
      b.addExtent(e);
    }
    return b.build();
  }

  public int rank() {
    return starts.length;
  }

  public long start(int dim) {
    return starts[dim];
  }

  /** Length in the dimension, or {@link #FULL}. */
  public long length(int dim) {
    return lengths[dim];
  }

  public boolean isFullAt(int dim) {
    return lengths[dim] == FULL;
  }

  public boolean isFull() {
    for (long l : lengths) {
      if (l != FULL) {
        return false;
      }
    }
    return true;
  }

  /** The extent's end (exclusive) within a tensor of the given full shape. */
  public long end(int dim, Shape full) {
    return isFullAt(dim) ? full.dim(dim) : starts[dim] + lengths[dim];
  }

  /** Whether the slice fits the full shape. */
  public boolean fits(Shape full) {
    if (full.rank() != rank()) {
      return false;
    }
    for (int i = 0; i < rank(); i++) {
      if (!isFullAt(i) && starts[i] + lengths[i] > full.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether this slice covers the whole of a tensor of the given shape (also when written with explicit extents). */
  public boolean coversWhole(Shape full) {
    for (int i = 0; i < rank(); i++) {
      if (!isFullAt(i) && !(starts[i] == 0 && lengths[i] == full.dim(i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether the slice spans all of dimension {@code dim} of a tensor of the given shape. */
  public boolean coversWholeDim(int dim, Shape full) {
    return isFullAt(dim) || (starts[dim] == 0 && lengths[dim] == full.dim(dim));
  }

  /** The shape of the data this slice holds. */
  public Shape sliceShape(Shape full) {
    if (!fits(full)) {
      throw new CorruptInputException("slice " + this + " does not fit shape " + full);
    }
    long[] dims = new long[rank()];
    for (int i = 0; i < rank(); i++) {
      dims[i] = isFullAt(i) ? full.dim(i) : lengths[i];
    }
    return Shape.of(dims);
  }

  /** TF's shape-and-slice spec as SaveV2 takes it: the full dims, a space, then the slice ({@code "4 6 0,2:-"}). */
  public String toShapeAndSlice(Shape full) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < full.rank(); i++) {
      b.append(full.dim(i)).append(' ');
    }
    return b.append(this).toString();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < rank(); i++) {
      if (i > 0) {
        b.append(':');
      }
      if (isFullAt(i)) {
        b.append('-');
      } else {
        b.append(starts[i]).append(',').append(lengths[i]);
      }
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSlice && Arrays.equals(starts, ((TensorSlice) o).starts)
        && Arrays.equals(lengths, ((TensorSlice) o).lengths);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(starts) + Arrays.hashCode(lengths);
  }
}
