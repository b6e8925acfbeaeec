package io.tfgw.core.tensor;

import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The canonical layout of variable-size elements: a uint64 little-endian byte length, then the bytes. This class
 * reads element headers out of such a stream.
 */
public final class CanonicalStrings {
  private CanonicalStrings() {}

  public static void putLength(byte[] buf, int at, long length) {
    for (int i = 0; i < 8; i++) {
      buf[at + i] = (byte) (length >>> (8 * i));
    }
  }

  /** Reads the next element's length header; -1 at a clean end of stream. */
  public static long readLength(InputStream in, String what) {
    byte[] b = new byte[8];
    int n = readFully(in, b, 0, 8);
    if (n == 0) {
      return -1;
    }
    if (n < 8) {
      throw new CorruptInputException(what + ": stream ends inside an element length");
    }
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    if (v < 0) {
      throw new CorruptInputException(what + ": element length " + Long.toUnsignedString(v) + " is impossible");
    }
    return v;
  }

  /** Reads up to len bytes, stopping only at end of stream; returns the count read. */
  public static int readFully(InputStream in, byte[] b, int off, int len) {
    int total = 0;
    try {
      while (total < len) {
        int n = in.read(b, off + total, len - total);
        if (n < 0) {
          break;
        }
        total += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total;
  }
}
