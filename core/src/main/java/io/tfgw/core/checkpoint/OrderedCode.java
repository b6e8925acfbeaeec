package io.tfgw.core.checkpoint;

import io.tfgw.core.CorruptInputException;
import java.io.ByteArrayOutputStream;

/**
 * The subset of TF's {@code lib/strings/ordered_code.cc} that checkpoint slice keys use: NumIncreasing, String and
 * SignedNumIncreasing, ported so that encoded keys sort exactly as TF's do.
 */
final class OrderedCode {
  private static final int[][] LENGTH_TO_HEADER_BITS = {
      {0, 0}, {0x80, 0}, {0xc0, 0}, {0xe0, 0}, {0xf0, 0}, {0xf8, 0}, {0xfc, 0}, {0xfe, 0}, {0xff, 0}, {0xff, 0x80},
      {0xff, 0xc0}};
  private static final long[] LENGTH_TO_MASK = {
      0L, 0x80L, 0xc000L, 0xe00000L, 0xf0000000L, 0xf800000000L, 0xfc0000000000L, 0xfe000000000000L,
      0xff00000000000000L, 0x8000000000000000L, 0L};

  private OrderedCode() {}

  /** Length byte, then the value big-endian without leading zero bytes (0 is the single byte 00). */
  static void writeNumIncreasing(ByteArrayOutputStream out, long value) {
    int len = 8 - Long.numberOfLeadingZeros(value) / 8;
    if (value == 0) {
      len = 0;
    }
    out.write(len);
    for (int i = len - 1; i >= 0; i--) {
      out.write((int) (value >>> (8 * i)));
    }
  }

  /** Escapes 00 as 00 ff and ff as ff 00, then terminates with 00 01. */
  static void writeString(ByteArrayOutputStream out, byte[] s) {
    for (byte b : s) {
      out.write(b);
      if (b == 0) {
        out.write(0xff);
      } else if (b == (byte) 0xff) {
        out.write(0x00);
      }
    }
    out.write(0x00);
    out.write(0x01);
  }

  static void writeSignedNumIncreasing(ByteArrayOutputStream out, long val) {
    long x = val < 0 ? ~val : val;
    if (x < 64) {
      out.write((int) (LENGTH_TO_HEADER_BITS[1][0] ^ val) & 0xff);
      return;
    }
    byte sign = val < 0 ? (byte) 0xff : 0;
    byte[] buf = new byte[10];
    buf[0] = sign;
    buf[1] = sign;
    for (int i = 0; i < 8; i++) {
      buf[2 + i] = (byte) (val >>> (56 - 8 * i));
    }
    int bits = 64 - Long.numberOfLeadingZeros(x);
    int len = bits / 7 + 1;
    int begin = 10 - len;
    buf[begin] ^= (byte) LENGTH_TO_HEADER_BITS[len][0];
    buf[begin + 1] ^= (byte) LENGTH_TO_HEADER_BITS[len][1];
    out.write(buf, begin, len);
  }

  /** Reads from a byte array with a moving position; failures are corruption of the named key. */
  static final class Reader {
    private final byte[] src;
    private final String what;
    private int pos;

    Reader(byte[] src, String what) {
      this.src = src;
      this.what = what;
    }

    boolean atEnd() {
      return pos == src.length;
    }

    private CorruptInputException bad(String detail) {
      return new CorruptInputException(what + ": " + detail);
    }

    long readNumIncreasing() {
      if (pos >= src.length) {
        throw bad("truncated number");
      }
      int len = src[pos++] & 0xff;
      if (len > 8 || pos + len > src.length) {
        throw bad("bad number length " + len);
      }
      long v = 0;
      for (int i = 0; i < len; i++) {
        v = (v << 8) | (src[pos++] & 0xff);
      }
      return v;
    }

    byte[] readString() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        if (pos >= src.length) {
          throw bad("unterminated string");
        }
        int b = src[pos++] & 0xff;
        if (b == 0x00 || b == 0xff) {
          if (pos >= src.length) {
            throw bad("unterminated string");
          }
          int next = src[pos++] & 0xff;
          if (b == 0x00 && next == 0x01) {
            return out.toByteArray();
          }
          if ((b == 0x00 && next == 0xff) || (b == 0xff && next == 0x00)) {
            out.write(b);
          } else {
            throw bad("bad escape in string");
          }
        } else {
          out.write(b);
        }
      }
    }

    long readSignedNumIncreasing() {
      if (pos >= src.length) {
        throw bad("truncated signed number");
      }
      long xorMask = (src[pos] & 0x80) == 0 ? ~0L : 0L;
      int firstByte = (src[pos] ^ (int) xorMask) & 0xff;
      int len;
      long x;
      if (firstByte != 0xff) {
        len = 7 - (31 - Integer.numberOfLeadingZeros(firstByte ^ 0xff));
        if (pos + len > src.length) {
          throw bad("truncated signed number");
        }
        x = xorMask;
        for (int i = 0; i < len; i++) {
          x = (x << 8) | (src[pos + i] & 0xff);
        }
      } else {
        len = 8;
        if (pos + len > src.length) {
          throw bad("truncated signed number");
        }
        int second = (src[pos + 1] ^ (int) xorMask) & 0xff;
        if (second >= 0x80) {
          if (second < 0xc0) {
            len = 9;
          } else {
            int third = (src[pos + 2] ^ (int) xorMask) & 0xff;
            if (second == 0xc0 && third < 0x80) {
              len = 10;
            } else {
              throw bad("signed number too long");
            }
          }
          if (pos + len > src.length) {
            throw bad("truncated signed number");
          }
        }
        x = 0;
        for (int i = len - 8; i < len; i++) {
          x = (x << 8) | (src[pos + i] & 0xff);
        }
      }
      x ^= LENGTH_TO_MASK[len];
      pos += len;
      return x;
    }
  }
}
