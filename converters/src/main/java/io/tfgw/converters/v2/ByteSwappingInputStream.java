package io.tfgw.converters.v2;

import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.io.InputStream;

/** Reverses the byte order of every {@code unit}-byte element of a stream (big-endian bundles on read). */
final class ByteSwappingInputStream extends InputStream {
  private final InputStream in;
  private final int unit;
  private final byte[] buffer = new byte[1 << 16];
  private int pos;
  private int len;

  ByteSwappingInputStream(InputStream in, int unit) {
    this.in = in;
    this.unit = unit;
  }

  private boolean fill() throws IOException {
    if (pos < len) {
      return true;
    }
    int want = buffer.length - buffer.length % unit;
    int n = 0;
    while (n < want) {
      int r = in.read(buffer, n, want - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    if (n == 0) {
      return false;
    }
    if (n % unit != 0) {
      throw new CorruptInputException("tensor data ends inside an element");
    }
    for (int i = 0; i < n; i += unit) {
      for (int a = i, b = i + unit - 1; a < b; a++, b--) {
        byte t = buffer[a];
        buffer[a] = buffer[b];
        buffer[b] = t;
      }
    }
    pos = 0;
    len = n;
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? buffer[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int n) throws IOException {
    if (n == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int k = Math.min(n, len - pos);
    System.arraycopy(buffer, pos, b, off, k);
    pos += k;
    return k;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
