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

  /**
   * Appends {@code length} bytes of {@code input} starting at {@code position}. Backends override it where the
   * bytes need not pass through the JVM (a local file to a local file is copied by the kernel, like {@code cp});
   * this default streams them.
   */
  public void transferFrom(RandomAccessInput input, long position, long length) {
    byte[] buf = new byte[(int) Math.min(1 << 20, Math.max(1, length))];
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(buf.length, length - done);
      input.readFully(position + done, buf, 0, n);
      try {
        write(buf, 0, n);
      } catch (java.io.IOException e) {
        throw new StorageException("Cannot write " + location() + ": " + e.getMessage(), e);
      }
      done += n;
    }
  }

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
