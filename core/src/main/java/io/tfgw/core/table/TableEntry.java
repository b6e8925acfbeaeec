package io.tfgw.core.table;

import java.nio.charset.StandardCharsets;

/** One key/value pair of a table. */
public record TableEntry(byte[] key, byte[] value) {
  public String keyAsString() {
    return new String(key, StandardCharsets.UTF_8);
  }
}
