package io.tfgw.core.tensor;

import io.tfgw.core.io.ByteBufferSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.zip.CRC32C;

/**
 * Copies tensors' canonical bytes to an output, in 64 KiB pieces that stay in the core's cache from the read through
 * the crcs to the write. Into a {@link ByteBufferSink} the bytes go through one reused direct buffer: a local file
 * is then read by pread(2) into it, checksummed in place and written from it by write(2), the copies {@code cp}
 * makes and no more. One copier per writer; not thread-safe.
 */
public final class TensorCopier {
  static final int PIECE = 1 << 16;

  private ByteBuffer direct;
  private byte[] array;

  /**
   * Copies all of {@code data}'s canonical bytes into {@code out}, updating {@code crc} with them unless it is null,
   * and returns how many there were. A checksum the source checks fails the copy before it returns.
   */
  public long copy(TensorData data, OutputStream out, CRC32C crc) throws IOException {
    if (out instanceof ByteBufferSink sink) {
      if (direct == null) {
        direct = ByteBuffer.allocateDirect(PIECE);
      }
      ByteBuffer buf = direct;
      long total = 0;
      try (ReadableByteChannel in = data.openChannel()) {
        while (true) {
          buf.clear();
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          buf.flip();
          if (crc != null) {
            crc.update(buf);
            buf.flip();
          }
          sink.write(buf);
          total += n;
        }
      }
      return total;
    }
    if (array == null) {
      array = new byte[PIECE];
    }
    byte[] buf = array;
    long total = 0;
    try (InputStream in = data.open()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        if (crc != null) {
          crc.update(buf, 0, n);
        }
        out.write(buf, 0, n);
        total += n;
      }
    }
    return total;
  }
}
