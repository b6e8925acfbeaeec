package io.tfgw.core.io;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * Passes through exactly {@code length} bytes while computing their crc32c, and fails the read that reaches the
 * end when the crc differs from the expected one. Every checked read in tfgw goes through here, so no consumer can
 * finish reading a tensor without its checksum having been verified.
 */
public final class ChecksummedInputStream extends FilterInputStream {
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
  public ChecksummedInputStream(InputStream in, long length, int expectedCrc, Function<String, String> describe) {
    super(in);
    this.length = length;
    this.expectedCrc = expectedCrc;
    this.describe = describe;
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
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (consumed >= length) {
      checkEnd();
      return -1;
    }
    int want = (int) Math.min(len, length - consumed);
    int n = in.read(b, off, want);
    if (n < 0) {
      throw new CorruptInputException(describe.apply("data ends after " + consumed + " of " + length + " bytes"));
    }
    crc.update(b, off, n);
    consumed += n;
    checkEnd();
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
    return (int) Math.min(in.available(), length - consumed);
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
