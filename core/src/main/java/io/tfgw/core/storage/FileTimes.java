package io.tfgw.core.storage;

import java.time.Instant;
import java.util.Optional;

/**
 * An optional capability: when a file was last written (local mtime, S3 {@code Last-Modified}). Used where the
 * age of files matters, such as keeping one checkpoint every N hours when the state file has no timestamps.
 */
public interface FileTimes {
  /** The last-modified time of the file; empty when the backend does not know it. */
  Optional<Instant> lastModified(Location location);
}
