package io.tfgw.core.io;

import java.io.ByteArrayOutputStream;

/** LEB128 varints as TensorFlow's {@code core/lib/core/coding.cc} writes them. */
public final class Varint {
  private Varint() {}

  public static int encodedLength(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  public static void write(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  /** Writes into {@code buf} at {@code pos}; returns the position after it. */
  public static int write(byte[] buf, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
    return pos;
  }
}
