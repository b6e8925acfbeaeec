package io.tfgw.cli;

import io.tfgw.converters.convert.ConvertListener;
import io.tfgw.converters.manage.CopyListener;
import io.tfgw.converters.manage.Transfer;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on stderr, for copies (files) and conversions (tensors), redrawn at most ten times a
 * second and cleared when everything announced is done; only on a terminal, and never with --quiet or --json, so
 * scripts, pipes, logs and tests stay clean.
 */
final class ProgressLine implements CopyListener, ConvertListener {
  private final PrintStream err;
  private final String unit;
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong done = new AtomicLong();
  private final AtomicInteger items = new AtomicInteger();
  private final AtomicInteger itemsDone = new AtomicInteger();
  private final long start = System.nanoTime();
  private volatile long lastDraw;

  ProgressLine(PrintStream err, String unit) {
    this.err = err;
    this.unit = unit;
  }

  /** Whether a bar may be drawn: stderr is a terminal and nothing asked for silence. */
  static boolean wanted(boolean silent) {
    return !silent && System.console() != null;
  }

  /** A bar counting files when wanted; otherwise a listener that shows nothing. */
  static CopyListener forCopy(boolean silent) {
    return wanted(silent) ? new ProgressLine(System.err, "files") : CopyListener.NONE;
  }

  /** A bar counting tensors when wanted; otherwise a listener that shows nothing. */
  static ConvertListener forConvert(boolean silent) {
    return wanted(silent) ? new ProgressLine(System.err, "tensors") : ConvertListener.NONE;
  }

  @Override
  public void started(int count, long bytes) {
    items.addAndGet(count);
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
    itemDone();
  }

  @Override
  public void tensorDone(String name, long bytes) {
    done.addAndGet(bytes);
    itemDone();
  }

  private void itemDone() {
    draw(itemsDone.incrementAndGet() == items.get());
  }

  private synchronized void draw(boolean force) {
    long now = System.nanoTime();
    if (!force && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    err.print(line(now));
    if (itemsDone.get() == items.get() && done.get() >= total.get()) {
      err.print("\r" + " ".repeat(100) + "\r");
    }
    err.flush();
  }

  /** The bar: by bytes, or by items when the bytes are unknown (string tensors). */
  String line(long now) {
    int width = 30;
    long t = total.get();
    int filled = t > 0 ? (int) Math.min(width, done.get() * width / t)
        : (int) Math.min(width, (long) itemsDone.get() * width / Math.max(1, items.get()));
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    return "\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + Sizes.human(done.get()) + " / "
        + Sizes.human(t) + "  " + itemsDone.get() + "/" + items.get() + " " + unit + "  "
        + Sizes.human((long) (done.get() / seconds)) + "/s   ";
  }
}
