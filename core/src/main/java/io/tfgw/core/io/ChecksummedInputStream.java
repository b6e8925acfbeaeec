package io.tfgw.core.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * Passes through exactly {@code length} bytes while computing their crc32c, and fails the read that reaches the
 * end when the crc differs from the expected one. Every checked read in tfgw goes through here, so no consumer can
 * finish reading a tensor without its checksum having been verified.
 */
public final class ChecksummedInputStream extends FilterInputStream {
  private final ExpectedCrc check;

  /**
   * @param expectedCrc the unmasked crc32c the bytes must have
   * @param describe turns a detail ("stored X, computed Y") into the full user-facing message
   */
  public ChecksummedInputStream(InputStream in, long length, int expectedCrc, Function<String, String> describe) {
    super(in);
    this.check = new ExpectedCrc(length, expectedCrc, describe);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (check.remaining() <= 0) {
      check.checkEnd();
      return -1;
    }
    int want = (int) Math.min(len, check.remaining());
    int n = in.read(b, off, want);
    if (n < 0) {
      throw check.endedEarly();
    }
    check.update(b, off, n);
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(1, n))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), check.remaining());
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
