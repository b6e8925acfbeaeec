package io.tfgw.storage.archive;

import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.OptionalLong;

/**
 * How much decompressing archive data may produce before it is called a bomb, so that a 40 KiB zip claiming (or
 * secretly holding) terabytes fails with a message instead of filling the disk. Three bounds, the smallest wins:
 * deflate's physics (it cannot expand one byte to more than about 1032, so more than {@link #MAX_RATIO} per
 * compressed byte is a lie), the free space where the temp copy goes, and an optional user cap
 * ({@code archive.max-inflated-bytes}).
 */
record InflationLimit(long bytes, String reason) {
  /** Deflate's best case is about 1032:1 (long runs of one byte); a little headroom above it. */
  static final long MAX_RATIO = 1100;
  /** Left free on the temp file system so that the rest of the machine keeps working. */
  static final long DISK_RESERVE = 64L << 20;

  static InflationLimit of(long compressedBytes, long freeTempBytes, OptionalLong userCap) {
    long physics = compressedBytes > Long.MAX_VALUE / MAX_RATIO ? Long.MAX_VALUE : compressedBytes * MAX_RATIO + 65_536;
    InflationLimit limit = new InflationLimit(physics, "more than deflate can produce from " + compressedBytes
        + " compressed bytes: the archive is corrupt or a decompression bomb");
    long room = Math.max(0, freeTempBytes - DISK_RESERVE);
    if (room < limit.bytes) {
      limit = new InflationLimit(room, "more than the " + room + " bytes free for temp files in "
          + System.getProperty("java.io.tmpdir") + " (set -Djava.io.tmpdir, e.g. in JAVA_TOOL_OPTIONS, to a disk with space)");
    }
    if (userCap.isPresent() && userCap.getAsLong() < limit.bytes) {
      limit = new InflationLimit(userCap.getAsLong(), "more than the archive.max-inflated-bytes limit of "
          + userCap.getAsLong() + " bytes");
    }
    return limit;
  }

  /** Refuses, before anything is decompressed, an entry whose declared size is beyond the limit. */
  void checkDeclared(long declared, String what) {
    if (declared > bytes) {
      throw new CorruptInputException(what + " declares " + declared + " bytes, " + reason);
    }
  }

  /** Copies at most {@link #bytes} bytes; a stream that has more is refused (the partial copy is the caller's). */
  long copy(InputStream in, OutputStream out, String what) throws IOException {
    byte[] buffer = new byte[1 << 16];
    long total = 0;
    for (int n; (n = in.read(buffer)) > 0; ) {
      total += n;
      if (total > bytes) {
        throw new CorruptInputException(what + " inflates to " + reason);
      }
      out.write(buffer, 0, n);
    }
    return total;
  }
}
