package io.tfgw.core.table;

/**
 * Constants of TensorFlow's table (LevelDB SSTable) format, from {@code tensorflow/core/lib/io/format.h},
 * {@code table_builder.cc} and {@code table_options.h}.
 */
public final class TableFormat {
  /** 0xdb4775248b80fb57, stored as two little-endian fixed32: bytes 57 fb 80 8b 24 75 47 db. */
  public static final long MAGIC = 0xdb4775248b80fb57L;

  /** Two padded block handles (40 bytes) and the 8-byte magic. */
  public static final int FOOTER_LENGTH = 2 * BlockHandle.MAX_ENCODED_LENGTH + 8;

  /** Compression type byte and masked crc32c after every block. */
  public static final int BLOCK_TRAILER_LENGTH = 5;

  public static final int NO_COMPRESSION = 0;
  public static final int SNAPPY_COMPRESSION = 1;

  /** TF's default target size of a data block before it is flushed. */
  public static final int DEFAULT_BLOCK_SIZE = 262144;

  /** Restart interval of data blocks; index blocks use 1. */
  public static final int DEFAULT_RESTART_INTERVAL = 16;

  private TableFormat() {}

  /** Whether the last 8 bytes of {@code tail} are the table magic number. */
  public static boolean endsWithMagic(byte[] tail) {
    if (tail.length < 8) {
      return false;
    }
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (tail[tail.length - 8 + i] & 0xff);
    }
    return v == MAGIC;
  }
}
