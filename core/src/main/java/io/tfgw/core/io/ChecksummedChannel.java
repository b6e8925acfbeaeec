package io.tfgw.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.function.Function;

/**
 * {@link ChecksummedInputStream} for buffers: passes through exactly {@code length} bytes while computing their
 * crc32c, and fails the read that reaches the end when it differs from the expected one. The crc is taken over the
 * caller's buffer as it was filled (a direct buffer is checksummed in place), so verifying costs no copy.
 */
public final class ChecksummedChannel implements ReadableByteChannel {
  private final ReadableByteChannel in;
  private final ExpectedCrc check;

  /**
   * @param expectedCrc the unmasked crc32c the bytes must have
   * @param describe turns a detail ("stored X, computed Y") into the full user-facing message
   */
  public ChecksummedChannel(ReadableByteChannel in, long length, int expectedCrc, Function<String, String> describe) {
    this.in = in;
    this.check = new ExpectedCrc(length, expectedCrc, describe);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (check.remaining() <= 0) {
      check.checkEnd();
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    int start = dst.position();
    int limit = dst.limit();
    dst.limit(start + (int) Math.min(dst.remaining(), check.remaining()));
    int n;
    try {
      n = in.read(dst);
    } finally {
      dst.limit(limit);
    }
    if (n < 0) {
      throw check.endedEarly();
    }
    check.update(dst.duplicate().position(start).limit(start + n));
    return n;
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
