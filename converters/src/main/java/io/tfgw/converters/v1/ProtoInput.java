package io.tfgw.converters.v1;

import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/** Sequential protobuf wire-format reads from a stream, tracking the position so nested lengths can be honoured. */
final class ProtoInput {
  static final int VARINT = 0;
  static final int I64 = 1;
  static final int LEN = 2;
  static final int I32 = 5;

  private final InputStream in;
  private final String what;
  private long pos;

  ProtoInput(InputStream in, String what) {
    this.in = in;
    this.what = what;
  }

  long position() {
    return pos;
  }

  CorruptInputException corrupt(String detail) {
    return new CorruptInputException(what + ": " + detail + " at byte " + pos);
  }

  int readByte() {
    try {
      int b = in.read();
      if (b < 0) {
        throw corrupt("value ends early");
      }
      pos++;
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long readVarint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw corrupt("varint longer than 10 bytes");
  }

  /** Reads exactly n bytes into b[off..]. */
  void readFully(byte[] b, int off, int n) {
    try {
      int done = 0;
      while (done < n) {
        int r = in.read(b, off + done, n - done);
        if (r < 0) {
          throw corrupt("value ends early");
        }
        done += r;
      }
      pos += n;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads up to n bytes (at least 1 unless n is 0). */
  int readSome(byte[] b, int off, int n) {
    if (n == 0) {
      return 0;
    }
    try {
      int r = in.read(b, off, n);
      if (r < 0) {
        throw corrupt("value ends early");
      }
      pos += r;
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads up to {@code max} bytes (at least 1) into {@code dst}: straight from the value's channel when it is one (a
   * streamed table value), so a direct buffer gets them with no array in between.
   */
  int readSome(ByteBuffer dst, long max) {
    int want = (int) Math.min(dst.remaining(), max);
    if (want == 0) {
      return 0;
    }
    try {
      int r;
      if (in instanceof ReadableByteChannel channel) {
        int limit = dst.limit();
        dst.limit(dst.position() + want);
        try {
          r = channel.read(dst);
        } finally {
          dst.limit(limit);
        }
      } else {
        byte[] chunk = new byte[Math.min(want, 1 << 16)];
        r = in.read(chunk, 0, chunk.length);
        if (r > 0) {
          dst.put(chunk, 0, r);
        }
      }
      if (r < 0) {
        throw corrupt("value ends early");
      }
      pos += r;
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void skip(long n) {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(1, n))];
    while (n > 0) {
      int r = readSome(buf, 0, (int) Math.min(buf.length, n));
      n -= r;
    }
  }

  /** Skips a field's payload given its wire type. */
  void skipField(int wireType, long limit) {
    switch (wireType) {
      case VARINT:
        readVarint();
        break;
      case I64:
        skip(8);
        break;
      case I32:
        skip(4);
        break;
      case LEN: {
        long len = readLength(limit);
        skip(len);
        break;
      }
      default:
        throw corrupt("unsupported wire type " + wireType);
    }
  }

  /** A length prefix that must fit before {@code limit}. */
  long readLength(long limit) {
    long len = readVarint();
    if (len < 0 || len > limit - pos) {
      throw corrupt("length " + len + " runs past its message");
    }
    return len;
  }

  /** Consumes everything up to the end of the stream (so that a checksumming stream verifies). */
  void drain() {
    try {
      byte[] buf = new byte[8192];
      int r;
      while ((r = in.read(buf)) >= 0) {
        pos += r;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
