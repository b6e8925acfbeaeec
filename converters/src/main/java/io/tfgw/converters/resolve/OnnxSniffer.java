package io.tfgw.converters.resolve;

import io.tfgw.core.storage.RandomAccessInput;
import java.util.Map;

/**
 * Tells an ONNX ModelProto by its top-level fields, since protobuf has no magic number: every field must be one of
 * ModelProto's with its wire type, lengths must fit the file, and both {@code ir_version} (field 1, a small varint)
 * and {@code graph} (field 7) must be there. A SavedModel (fields 1 and 2 only), a GraphDef or a MetaGraphDef (field 1
 * length-delimited) fails. Reads only the tags and lengths, skipping each field's body.
 */
final class OnnxSniffer {
  /** ModelProto's field numbers and wire types (0 varint, 2 length-delimited). */
  private static final Map<Integer, Integer> FIELDS = Map.of(1, 0, 2, 2, 3, 2, 4, 2, 5, 0, 6, 2, 7, 2, 8, 2,
      14, 2, 20, 2);
  private static final int FUNCTIONS = 25;
  private static final int MAX_FIELDS = 4096;

  private OnnxSniffer() {}

  static boolean isOnnxModel(RandomAccessInput in) {
    long length = in.length();
    long pos = 0;
    boolean irVersion = false;
    boolean graph = false;
    for (int fields = 0; pos < length && fields < MAX_FIELDS; fields++) {
      byte[] buf = in.readFully(pos, (int) Math.min(20, length - pos));
      int[] at = {0};
      long tag = varint(buf, at);
      if (tag < 0) {
        return false;
      }
      int field = (int) Math.min(tag >>> 3, Integer.MAX_VALUE);
      int wire = (int) (tag & 7);
      Integer expected = field == FUNCTIONS ? Integer.valueOf(2) : FIELDS.get(field);
      if (expected == null || expected != wire) {
        return false;
      }
      if (wire == 0) {
        long v = varint(buf, at);
        if (v < 0) {
          return false;
        }
        if (field == 1) {
          if (v < 1 || v > 64 || irVersion) {
            return false;
          }
          irVersion = true;
        }
        pos += at[0];
      } else {
        long len = varint(buf, at);
        if (len < 0 || len > length - pos - at[0]) {
          return false;
        }
        graph |= field == 7;
        pos += at[0] + len;
      }
    }
    return pos == length && irVersion && graph;
  }

  /** A varint at {@code at[0]}, advancing it; -1 if it runs past the buffer or 10 bytes. */
  private static long varint(byte[] buf, int[] at) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= buf.length) {
        return -1;
      }
      int b = buf[at[0]++] & 0xff;
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v < 0 ? -1 : v;
      }
    }
    return -1;
  }
}
