package io.tfgw.converters.manage;

import io.tfgw.core.storage.Location;
import java.util.Map;

/**
 * What a copy did. Every file was verified: {@code verifiedByStore} against the checksum the destination store
 * computed on arrival, the others by reading the destination back. {@code crc32c} is each destination's CRC32C
 * (Castagnoli) of the bytes read from the source, as a manifest records it.
 */
public record CopyResult(int files, long bytes, int verifiedByStore, int verifiedByReading, Map<Location, Integer> crc32c) {
  public CopyResult {
    crc32c = Map.copyOf(crc32c);
  }
}
