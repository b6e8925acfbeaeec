package io.tfgw.core.table;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.tfgw.core.CorruptInputException;

/**
 * Raw (unframed) snappy, as table blocks use it, through aircompressor's pure-Java decoder. The declared
 * uncompressed length is checked before anything is allocated: snappy cannot expand more than about 21x (a 3-byte
 * copy op yields at most 64 bytes), so a larger claim is corruption, not a reason to allocate gigabytes.
 */
public final class SnappyBlocks {
  private static final int MAX_EXPANSION = 24;

  private SnappyBlocks() {}

  public static byte[] uncompress(byte[] compressed, int offset, int length, String what) {
    long declared = 0;
    int i = 0;
    while (true) {
      if (i >= 5 || i >= length) {
        throw new CorruptInputException(what + ": unreadable snappy length header");
      }
      int b = compressed[offset + i] & 0xff;
      declared |= (long) (b & 0x7f) << (7 * i);
      i++;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    long bound = (long) length * MAX_EXPANSION + 64;
    if (declared > bound || declared > Integer.MAX_VALUE - 16) {
      throw new CorruptInputException(what + ": snappy block of " + length + " bytes claims to expand to "
          + declared + " bytes, which snappy cannot do");
    }
    byte[] out = new byte[(int) declared];
    try {
      int n = new SnappyDecompressor().decompress(compressed, offset, length, out, 0, out.length);
      if (n != declared) {
        throw new CorruptInputException(what + ": snappy block expanded to " + n + " bytes instead of the declared "
            + declared);
      }
    } catch (MalformedInputException | IndexOutOfBoundsException | IllegalArgumentException e) {
      throw new CorruptInputException(what + ": corrupt snappy block (" + e.getMessage() + ")");
    }
    return out;
  }
}
