package io.tfgw.core.tensor;

import java.io.InputStream;

/**
 * The values of one tensor (or one stored slice), read lazily: nothing is read until {@link #open()}, and the
 * bytes stream, so a tensor never has to fit in memory.
 *
 * <p>The stream carries the tensor's <em>canonical bytes</em> (see the CLI contract): fixed-size dtypes are their
 * little-endian element bytes in row-major order; {@code string} (and {@code variant}) elements are each a uint64
 * little-endian length followed by the raw bytes. Sources with checksums verify them while streaming and throw
 * {@link io.tfgw.core.ChecksumMismatchException} at the latest when the end is reached, so a consumer must treat
 * an exception as "discard everything".
 */
public interface TensorData {
  DType dtype();

  Shape shape();

  /** A new stream over the canonical bytes, from the start. May be called any number of times. */
  InputStream open();

  /**
   * The same bytes as {@link #open()}, as a channel: sources that can read straight into the caller's buffer (a
   * local V2 data file) override it, so a copy into a direct buffer costs no intermediate array. Checks as
   * {@link #open()} does.
   */
  default java.nio.channels.ReadableByteChannel openChannel() {
    return new io.tfgw.core.storage.StreamChannel(open());
  }

  /** Length of the canonical bytes: exact for fixed-size dtypes; -1 when unknown before reading. */
  default long canonicalLength() {
    return dtype().isFixedSize() ? shape().byteSize(dtype()) : -1;
  }

  /**
   * The (unmasked) crc32c of the canonical bytes, when the source stores it and every {@link #open()} stream checks
   * it: a stream read to its end without an exception delivered bytes with exactly this crc. A writer that stores
   * the crc of the same bytes (a V2 data file) takes it from here instead of computing it a second time. Empty
   * when unknown.
   */
  default java.util.OptionalInt verifiedCrc32c() {
    return java.util.OptionalInt.empty();
  }
}
