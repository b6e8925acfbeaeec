package io.tfgw.cli;

import io.tfgw.converters.manage.CopyListener;
import io.tfgw.converters.manage.Transfer;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on stderr for copies, redrawn at most ten times a second; only on a terminal, and never
 * with --quiet, so scripts and logs stay clean.
 */
final class ProgressLine implements CopyListener {
  private final PrintStream err;
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong done = new AtomicLong();
  private final AtomicInteger files = new AtomicInteger();
  private final AtomicInteger filesDone = new AtomicInteger();
  private final long start = System.nanoTime();
  private volatile long lastDraw;

  private ProgressLine(PrintStream err) {
    this.err = err;
  }

  /** A progress bar when stderr is a terminal and not quiet; otherwise a listener that shows nothing. */
  static CopyListener forTerminal(boolean quiet) {
    return !quiet && System.console() != null ? new ProgressLine(System.err) : CopyListener.NONE;
  }

  @Override
  public void started(int count, long bytes) {
    files.addAndGet(count);
    total.addAndGet(bytes);
    draw(true);
  }

  @Override
  public void transferred(long bytes) {
    done.addAndGet(bytes);
    draw(false);
  }

  @Override
  public void finished(Transfer transfer) {
    filesDone.incrementAndGet();
    draw(filesDone.get() == files.get());
  }

  private synchronized void draw(boolean force) {
    long now = System.nanoTime();
    if (!force && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    long t = Math.max(1, total.get());
    int width = 30;
    int filled = (int) Math.min(width, done.get() * width / t);
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + Sizes.human(done.get()) + " / "
        + Sizes.human(total.get()) + "  " + filesDone.get() + "/" + files.get() + " files  "
        + Sizes.human((long) (done.get() / seconds)) + "/s   ");
    if (filesDone.get() == files.get() && done.get() >= total.get()) {
      err.print("\r" + " ".repeat(100) + "\r");
    }
    err.flush();
  }
}
