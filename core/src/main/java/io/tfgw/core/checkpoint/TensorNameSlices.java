package io.tfgw.core.checkpoint;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.tensor.TensorSlice;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keys of stored slices, as TF's {@code EncodeTensorNameSlice} builds them ({@code saved_tensor_slice_util.cc}):
 * NumIncreasing(0), String(name), NumIncreasing(rank), then per dimension SignedNumIncreasing(start) and
 * SignedNumIncreasing(length), a full extent being start 0, length -1. V1 checkpoints key every tensor this way;
 * V2 bundles key the slices of partitioned variables this way.
 */
public final class TensorNameSlices {
  private TensorNameSlices() {}

  /** A decoded slice key. */
  public record NameAndSlice(String name, TensorSlice slice) {}

  public static byte[] encode(String name, TensorSlice slice) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OrderedCode.writeNumIncreasing(out, 0);
    OrderedCode.writeString(out, name.getBytes(StandardCharsets.UTF_8));
    OrderedCode.writeNumIncreasing(out, slice.rank());
    for (int d = 0; d < slice.rank(); d++) {
      OrderedCode.writeSignedNumIncreasing(out, slice.isFullAt(d) ? 0 : slice.start(d));
      OrderedCode.writeSignedNumIncreasing(out, slice.length(d));
    }
    return out.toByteArray();
  }

  /** Whether a table key is a slice key: they all start with NumIncreasing(0), a zero byte no name starts with. */
  public static boolean isSliceKey(byte[] key) {
    return key.length > 0 && key[0] == 0;
  }

  public static NameAndSlice decode(byte[] key, String where) {
    OrderedCode.Reader r = new OrderedCode.Reader(key, where + ": slice key");
    if (r.readNumIncreasing() != 0) {
      throw new CorruptInputException(where + ": slice key does not start with 0");
    }
    String name = new String(r.readString(), StandardCharsets.UTF_8);
    long rank = r.readNumIncreasing();
    if (rank > 64) {
      throw new CorruptInputException(where + ": slice key of '" + name + "' claims rank " + rank);
    }
    long[] starts = new long[(int) rank];
    long[] lengths = new long[(int) rank];
    for (int d = 0; d < rank; d++) {
      starts[d] = r.readSignedNumIncreasing();
      lengths[d] = r.readSignedNumIncreasing();
      if (lengths[d] == TensorSlice.FULL) {
        starts[d] = 0;
      } else if (starts[d] < 0 || lengths[d] < 0) {
        throw new CorruptInputException(where + ": slice key of '" + name + "' has a negative extent");
      }
    }
    if (!r.atEnd()) {
      throw new CorruptInputException(where + ": slice key of '" + name + "' has trailing bytes");
    }
    return new NameAndSlice(name, TensorSlice.of(starts, lengths));
  }
}
