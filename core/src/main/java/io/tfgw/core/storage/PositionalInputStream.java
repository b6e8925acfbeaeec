package io.tfgw.core.storage;

import java.io.InputStream;

/**
 * An InputStream over a range of a {@link RandomAccessInput}, reading it in positional chunks. Reads of at least
 * {@link #CHUNK} bytes go straight into the caller's array, and smaller ones are served from a buffer of at most
 * {@link #CHUNK}: a stream per tensor must not cost a tensor-sized array (at a small heap, a humongous allocation
 * per tensor and a GC every few tensors).
 */
final class PositionalInputStream extends InputStream {
  private static final int CHUNK = 1 << 16;

  private final RandomAccessInput input;
  private final long end;
  private long position;
  private byte[] buffer = new byte[0];
  private int bufferPos;
  private int bufferLen;

  PositionalInputStream(RandomAccessInput input, long position, long length) {
    if (position < 0 || length < 0 || position + length > input.length()) {
      throw new StorageException("Range [" + position + ", " + (position + length) + ") is outside "
          + input.location() + " (" + input.length() + " bytes)");
    }
    this.input = input;
    this.position = position;
    this.end = position + length;
  }

  private boolean fill() {
    if (bufferPos < bufferLen) {
      return true;
    }
    long remaining = end - position;
    if (remaining <= 0) {
      return false;
    }
    int n = (int) Math.min(CHUNK, remaining);
    if (buffer.length < n) {
      buffer = new byte[n];
    }
    input.readFully(position, buffer, 0, n);
    position += n;
    bufferPos = 0;
    bufferLen = n;
    return true;
  }

  @Override
  public int read() {
    return fill() ? buffer[bufferPos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (bufferPos >= bufferLen && len >= CHUNK && position < end) {
      // Large reads go straight into the caller's array.
      int n = (int) Math.min(len, end - position);
      input.readFully(position, b, off, n);
      position += n;
      return n;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, bufferLen - bufferPos);
    System.arraycopy(buffer, bufferPos, b, off, n);
    bufferPos += n;
    return n;
  }

  @Override
  public long skip(long n) {
    long buffered = Math.min(n, bufferLen - bufferPos);
    bufferPos += (int) buffered;
    long more = Math.min(n - buffered, end - position);
    position += more;
    return buffered + more;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, (bufferLen - bufferPos) + (end - position));
  }
}
