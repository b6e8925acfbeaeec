package io.tfgw.core.table;

import java.io.InputStream;

/**
 * A value found in a table. Small values are in memory; a large value in an uncompressed block (V1 checkpoints hold
 * whole tensors in values) streams from the file, and the stream verifies the whole block's crc by its end.
 */
public interface TableValue {
  long length();

  /** The bytes in memory; for a large value this reads it whole, so prefer {@link #open()} when streaming. */
  byte[] bytes();

  /** A stream over the value; with a large value, reading to its end verifies the block checksum. */
  InputStream open();
}
