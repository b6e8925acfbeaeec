package io.tfgw.core.table;

import io.tfgw.core.io.ByteCursor;
import io.tfgw.core.io.Varint;
import java.io.ByteArrayOutputStream;

/** Where a block lies in a table file: varint64 offset and size; the size excludes the 5-byte trailer. */
public record BlockHandle(long offset, long size) {
  /** Longest encoding: two 10-byte varints. */
  static final int MAX_ENCODED_LENGTH = 20;

  static BlockHandle decode(ByteCursor cursor) {
    long offset = cursor.readVarint64();
    long size = cursor.readVarint64();
    return new BlockHandle(offset, size);
  }

  void encodeTo(ByteArrayOutputStream out) {
    Varint.write(out, offset);
    Varint.write(out, size);
  }

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(MAX_ENCODED_LENGTH);
    encodeTo(out);
    return out.toByteArray();
  }
}
