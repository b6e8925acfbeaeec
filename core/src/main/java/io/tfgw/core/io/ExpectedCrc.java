package io.tfgw.core.io;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import java.nio.ByteBuffer;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The check behind {@link ChecksummedInputStream} and {@link ChecksummedChannel}: {@code length} bytes must arrive
 * and have the crc32c {@code expected}; the bytes that complete the length fail there when they do not.
 */
final class ExpectedCrc {
  private final CRC32C crc = new CRC32C();
  private final long length;
  private final int expected;
  private final Function<String, String> describe;
  private long consumed;
  private boolean verified;

  /**
   * @param expected the unmasked crc32c the bytes must have
   * @param describe turns a detail ("stored X, computed Y") into the full user-facing message
   */
  ExpectedCrc(long length, int expected, Function<String, String> describe) {
    this.length = length;
    this.expected = expected;
    this.describe = describe;
  }

  long remaining() {
    return length - consumed;
  }

  void update(byte[] b, int off, int n) {
    crc.update(b, off, n);
    consumed += n;
    checkEnd();
  }

  /** Takes the crc over {@code filled}'s remaining bytes (a direct buffer in place), leaving its position alone. */
  void update(ByteBuffer filled) {
    int n = filled.remaining();
    crc.update(filled.duplicate());
    consumed += n;
    checkEnd();
  }

  CorruptInputException endedEarly() {
    return new CorruptInputException(describe.apply("data ends after " + consumed + " of " + length + " bytes"));
  }

  void checkEnd() {
    if (consumed == length && !verified) {
      verified = true;
      int actual = (int) crc.getValue();
      if (actual != expected) {
        throw new ChecksumMismatchException(describe.apply(
            String.format("checksum mismatch (stored %08x, computed %08x)", expected, actual)));
      }
    }
  }
}
