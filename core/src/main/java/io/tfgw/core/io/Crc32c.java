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
}
