package io.tfgw.core.storage;

import java.util.OptionalInt;

/**
 * An optional capability: the store keeps a checksum of each file's full content that it verified itself when
 * the bytes arrived (S3's {@code x-amz-checksum-crc32c} of a single-part upload), or the backend knows one because
 * the store verified every piece of the upload against its checksum and the file is still that upload (S3's
 * multipart uploads, whose part checksums combine into the file's). Copying can then check what arrived without
 * reading it back.
 */
public interface StoredChecksums {
  /** The CRC32C (Castagnoli) of the whole file as the store computed it; empty when it has none. */
  OptionalInt crc32c(Location location);
}
