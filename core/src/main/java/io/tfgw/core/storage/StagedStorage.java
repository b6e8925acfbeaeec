package io.tfgw.core.storage;

/**
 * An optional capability: a backend whose writes are <em>staged</em> and become visible to the outside world only
 * when the whole command succeeds. The archive backend is the example: a command may write hundreds of entries
 * into {@code out.tar.gz!/export/1/...}, each through its own {@link AtomicOutputStream}; every committed entry
 * goes to a staging area (a temp file per entry) where reads of the same storage already see it, and the archive
 * itself is assembled and written through its container's {@link AtomicOutputStream} only at
 * {@link #commitStaged()}. So the archive appears complete or not at all, however many files the command wrote.
 *
 * <p>Commands do not talk to backends: they call {@link StorageRouter#commit()} once at the end, which commits
 * every staged backend it opened (innermost containers first), and {@link StorageRouter#close()} aborts whatever
 * was not committed. A backend without staging publishes each file at its own commit, and the router's commit is
 * a no-op for it.
 */
public interface StagedStorage extends Storage {
  /** Whether writes are waiting for {@link #commitStaged()}. */
  boolean hasStaged();

  /**
   * Publishes everything staged, one container after another; each container appears atomically. Containers
   * nested in other staged containers (an archive inside an archive) are published first, so that the outer one
   * holds them.
   */
  void commitStaged();

  /** Discards everything staged; nothing appears. Idempotent. */
  void abortStaged();
}
