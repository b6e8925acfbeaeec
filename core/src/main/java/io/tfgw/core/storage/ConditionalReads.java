package io.tfgw.core.storage;

import java.util.Optional;

/**
 * An optional capability: reading a small file only if it changed since the version the reader last saw, the way
 * HTTP's {@code If-None-Match} works (S3 answers 304 Not Modified without a body). A watcher that polls one manifest
 * then pays one small request per poll, whatever the size of the bucket.
 */
public interface ConditionalReads {
  /** What a conditional read found. */
  record Read(State state, Optional<String> version, byte[] content) {
    public enum State { ABSENT, UNCHANGED, CHANGED }

    public static Read absent() {
      return new Read(State.ABSENT, Optional.empty(), new byte[0]);
    }

    public static Read unchanged(String version) {
      return new Read(State.UNCHANGED, Optional.of(version), new byte[0]);
    }

    public static Read changed(String version, byte[] content) {
      return new Read(State.CHANGED, Optional.of(version), content);
    }
  }

  /**
   * The whole file, unless its version is still {@code known} (then {@link Read.State#UNCHANGED} and no content).
   * Meant for small files: the content is held in memory.
   */
  Read readIfChanged(Location file, Optional<String> known);
}
