package io.tfgw.core.storage;

import java.util.Optional;

/**
 * An optional capability: writes that commit only if the file is still the version the writer saw, the way S3's
 * conditional writes ({@code If-None-Match: *}, {@code If-Match: etag}) work. Two writers to one destination then
 * end with one complete result and a {@link ConcurrentWriteException} for the other, instead of a mix of both;
 * read-modify-write of a shared file (the {@code checkpoint} state file) loses no update.
 */
public interface ConditionalWrites {
  /** An opaque token for the file as it is now; empty when there is no such file. */
  Optional<String> version(Location file);

  /**
   * Starts writing {@code file}. The commit succeeds only if the file is then still at {@code expected} (empty: it
   * must still not exist); otherwise it throws {@link ConcurrentWriteException} and nothing is written.
   */
  AtomicOutputStream createIf(Location file, Optional<String> expected);
}
