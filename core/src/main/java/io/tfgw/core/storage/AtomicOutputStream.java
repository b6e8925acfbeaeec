package io.tfgw.core.storage;

import java.io.OutputStream;

/**
 * The bytes of one output file that appears at its location only when {@link #commit()} succeeds, and not at all
 * when the writer fails: {@link #close()} without a commit aborts. Local files use a temp file and an atomic
 * rename; object stores upload (multipart) and complete the upload only at commit.
 *
 * <p>Note the difference to a plain OutputStream: close() discards. Always commit explicitly.
 */
public abstract class AtomicOutputStream extends OutputStream {
  private boolean finished;

  /** Bytes written so far. */
  public abstract long position();

  /** Publishes the file at its location, replacing what was there. */
  public final void commit() {
    if (finished) {
      throw new IllegalStateException("output " + location() + " was already committed or aborted");
    }
    finished = true;
    doCommit();
  }

  /** Discards everything written; nothing appears at the location. Idempotent. */
  public final void abort() {
    if (!finished) {
      finished = true;
      doAbort();
    }
  }

  public abstract Location location();

  protected abstract void doCommit();

  protected abstract void doAbort();

  @Override
  public final void close() {
    abort();
  }
}
