package io.tfgw.core.io;

import java.util.zip.CRC32C;

/**
 * CRC-32C (Castagnoli) as TensorFlow stores it: masked, so that a crc of data that itself holds crcs does not
 * degenerate ({@code tensorflow/core/lib/hash/crc32c.h}). Uses {@link CRC32C}, which the JIT compiles to the
 * CPU's crc32 instructions.
 */
public final class Crc32c {
  private static final int MASK_DELTA = 0xa282ead8;

  private Crc32c() {}

  public static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  public static int unmask(int masked) {
    int rot = masked - MASK_DELTA;
    return (rot >>> 17) | (rot << 15);
  }

  public static int of(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    return (int) crc.getValue();
  }

  public static int of(byte[] data) {
    return of(data, 0, data.length);
  }

  /**
   * Adds a range of a file to a running crc. A local file is mapped, so the bytes are checksummed where the page
   * cache holds them, without a copy; other inputs are read in 1 MiB pieces.
   */
  public static void update(CRC32C crc, io.tfgw.core.storage.RandomAccessInput in, long position, long length) {
    java.util.Optional<java.nio.channels.FileChannel> channel = in.fileChannel();
    long done = 0;
    if (channel.isPresent()) {
      try {
        while (done < length) {
          long n = Math.min(64L << 20, length - done);
          crc.update(channel.get().map(java.nio.channels.FileChannel.MapMode.READ_ONLY, position + done, n));
          done += n;
        }
      } catch (java.io.IOException e) {
        throw new io.tfgw.core.storage.StorageException("Cannot read " + in.location() + " at offset "
            + (position + done) + ": " + e.getMessage(), e);
      }
      return;
    }
    byte[] buf = new byte[(int) Math.min(1 << 20, Math.max(1, length))];
    while (done < length) {
      int n = (int) Math.min(buf.length, length - done);
      in.readFully(position + done, buf, 0, n);
      crc.update(buf, 0, n);
      done += n;
    }
  }
}
