package io.tfgw.core.io;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * {@link ChecksummedInputStream} for buffers: passes through exactly {@code length} bytes while computing their
 * crc32c, and fails the read that reaches the end when it differs from the expected one. The crc is taken over the
 * caller's buffer as it was filled (a direct buffer is checksummed in place), so verifying costs no copy.
 */
public final class ChecksummedChannel implements ReadableByteChannel {
  private final ReadableByteChannel in;
  private final CRC32C crc = new CRC32C();
  private final long length;
  private final int expectedCrc;
  private final Function<String, String> describe;
  private long consumed;
  private boolean verified;

  /**
   * @param expectedCrc the unmasked crc32c the bytes must have
   * @param describe turns a detail ("stored X, computed Y") into the full user-facing message
   */
  public ChecksummedChannel(ReadableByteChannel in, long length, int expectedCrc, Function<String, String> describe) {
    this.in = in;
    this.length = length;
    this.expectedCrc = expectedCrc;
    this.describe = describe;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (consumed >= length) {
      checkEnd();
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    int start = dst.position();
    int limit = dst.limit();
    dst.limit(start + (int) Math.min(dst.remaining(), length - consumed));
    int n;
    try {
      n = in.read(dst);
    } finally {
      dst.limit(limit);
    }
    if (n < 0) {
      throw new CorruptInputException(describe.apply("data ends after " + consumed + " of " + length + " bytes"));
    }
    ByteBuffer filled = dst.duplicate();
    filled.position(start).limit(start + n);
    crc.update(filled);
    consumed += n;
    checkEnd();
    return n;
  }

  private void checkEnd() {
    if (consumed == length && !verified) {
      verified = true;
      int actual = (int) crc.getValue();
      if (actual != expectedCrc) {
        throw new ChecksumMismatchException(describe.apply(
            String.format("checksum mismatch (stored %08x, computed %08x)", expectedCrc, actual)));
      }
    }
  }

  @Override
  public boolean isOpen() {
    return in.isOpen();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
