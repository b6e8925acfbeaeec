package io.tfgw.core.storage;

/**
 * An optional capability: how many requests a remote backend has sent (every HTTP attempt, retries included), so
 * that a long-running watcher can report what its polling costs.
 */
public interface RequestCounts {
  long requestsSent();
}
