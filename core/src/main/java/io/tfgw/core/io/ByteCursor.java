package io.tfgw.core.io;

import io.tfgw.core.CorruptInputException;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked little-endian reading of a byte range. Every read that would leave the range fails with a
 * {@link CorruptInputException} naming what was being read and where, instead of reading garbage or throwing an
 * index error.
 */
public final class ByteCursor {
  private final byte[] data;
  private final int limit;
  private final String what;
  private int pos;

  public ByteCursor(byte[] data, int offset, int limit, String what) {
    if (offset < 0 || limit > data.length || offset > limit) {
      throw new IllegalArgumentException("bad range");
    }
    this.data = data;
    this.pos = offset;
    this.limit = limit;
    this.what = what;
  }

  public ByteCursor(byte[] data, String what) {
    this(data, 0, data.length, what);
  }

  public int position() {
    return pos;
  }

  public void position(int newPos) {
    if (newPos < 0 || newPos > limit) {
      throw corrupt("position " + newPos + " is outside the " + limit + " bytes");
    }
    pos = newPos;
  }

  public int remaining() {
    return limit - pos;
  }

  public boolean hasRemaining() {
    return pos < limit;
  }

  public byte[] array() {
    return data;
  }

  public CorruptInputException corrupt(String detail) {
    return new CorruptInputException(what + ": " + detail);
  }

  private void need(int n, String field) {
    if (n < 0 || limit - pos < n) {
      throw corrupt(field + " at byte " + pos + " needs " + n + " bytes but only " + (limit - pos) + " remain");
    }
  }

  public int readU8() {
    need(1, "byte");
    return data[pos++] & 0xff;
  }

  public int readFixed32() {
    need(4, "fixed32");
    int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16 | (data[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  public long readFixed64() {
    long lo = readFixed32() & 0xffffffffL;
    long hi = readFixed32() & 0xffffffffL;
    return lo | hi << 32;
  }

  public long readVarint64() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= limit) {
        throw corrupt("varint runs past the end at byte " + pos);
      }
      int b = data[pos++] & 0xff;
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw corrupt("varint longer than 10 bytes at byte " + pos);
  }

  /** A varint32 that must lie in [0, Integer.MAX_VALUE]. */
  public int readVarint32(String field) {
    int start = pos;
    long v = readVarint64();
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw corrupt(field + " at byte " + start + " is " + Long.toUnsignedString(v) + ", out of range");
    }
    return (int) v;
  }

  public byte[] readBytes(int n, String field) {
    need(n, field);
    byte[] out = new byte[n];
    System.arraycopy(data, pos, out, 0, n);
    pos += n;
    return out;
  }

  public void skip(int n, String field) {
    need(n, field);
    pos += n;
  }

  public static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
