package io.tfgw.core.storage;

import io.tfgw.core.io.ByteBufferSink;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * The bytes of one output file that appears at its location only when {@link #commit()} succeeds, and not at all
 * when the writer fails: {@link #close()} without a commit aborts. Local files use a temp file and an atomic
 * rename; object stores upload (multipart) and complete the upload only at commit.
 *
 * <p>Note the difference to a plain OutputStream: close() discards. Always commit explicitly.
 */
public abstract class AtomicOutputStream extends OutputStream implements ByteBufferSink {
  private boolean finished;
  private byte[] bufferCopy;

  /** By default through an array; local files write a direct buffer as it is. */
  @Override
  public void write(ByteBuffer src) throws IOException {
    if (src.hasArray()) {
      write(src.array(), src.arrayOffset() + src.position(), src.remaining());
      src.position(src.limit());
      return;
    }
    while (src.hasRemaining()) {
      if (bufferCopy == null) {
        bufferCopy = new byte[1 << 16];
      }
      int n = Math.min(src.remaining(), bufferCopy.length);
      src.get(bufferCopy, 0, n);
      write(bufferCopy, 0, n);
    }
  }

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
