package io.tfgw.core.storage;

import java.io.Closeable;
import java.io.InputStream;
import java.nio.channels.ReadableByteChannel;

/**
 * Positional reads of one file. Thread-safe for concurrent positional reads. Reading past the end is a
 * {@link StorageException} that names the file, the position and the length.
 */
public interface RandomAccessInput extends Closeable {
  Location location();

  long length();

  /** Reads exactly {@code length} bytes starting at {@code position}. */
  void readFully(long position, byte[] buffer, int offset, int length);

  default byte[] readFully(long position, int length) {
    byte[] bytes = new byte[length];
    readFully(position, bytes, 0, length);
    return bytes;
  }

  /** The last {@code min(length, length())} bytes of the file. */
  default byte[] readTail(int length) {
    long fileLength = length();
    int n = (int) Math.min(length, fileLength);
    return readFully(fileLength - n, n);
  }

  /**
   * A sequential stream over {@code [position, position + length)}, for copying large ranges in one pass.
   * Backends override it where one request beats many (an HTTP range GET).
   */
  default InputStream stream(long position, long length) {
    return new PositionalInputStream(this, position, length);
  }

  /**
   * A channel over {@code [position, position + length)}: the same bytes as {@link #stream}, read into the caller's
   * buffers. By default it is the stream's bytes; local files read positionally straight into the caller's (direct)
   * buffer, so a copy costs no intermediate array.
   */
  default ReadableByteChannel channel(long position, long length) {
    return new StreamChannel(stream(position, length));
  }

  @Override
  void close();
}
