package io.tfgw.core.runtime.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits independent work over the cores. Kernels split over outputs (batch, rows, pixels), never over a reduction,
 * so results do not depend on the number of threads or on the split.
 */
public final class Parallel {
  /** Below this many elements an elementwise op runs on the calling thread. */
  static final int MIN_PARALLEL_ELEMENTS = 1 << 15;

  private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

  /** Work on [lo, hi). */
  @FunctionalInterface
  public interface Range {
    void run(int lo, int hi);
  }

  private Parallel() {}

  /** Runs {@code body} over [0, n) in chunks of at least {@code grain} items, in parallel when worth it. */
  public static void forRange(int n, int grain, Range body) {
    if (n <= 0) {
      return;
    }
    int chunks = Math.min(THREADS * 4, Math.max(1, n / Math.max(1, grain)));
    if (chunks <= 1 || THREADS == 1 || ForkJoinTask.inForkJoinPool()) {
      body.run(0, n);
      return;
    }
    List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
    for (int c = 0; c < chunks; c++) {
      int lo = (int) ((long) n * c / chunks);
      int hi = (int) ((long) n * (c + 1) / chunks);
      tasks.add(ForkJoinPool.commonPool().submit(() -> body.run(lo, hi)));
    }
    RuntimeException failure = null;
    for (ForkJoinTask<?> t : tasks) {
      try {
        t.join();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Runs {@code body} over [0, n) in parallel when {@code n * costPerItem} is large. */
  public static void forRangeCost(int n, long costPerItem, Range body) {
    long total = n * Math.max(1, costPerItem);
    if (total < MIN_PARALLEL_ELEMENTS * 4L) {
      body.run(0, n);
      return;
    }
    int grain = (int) Math.max(1, (MIN_PARALLEL_ELEMENTS * 2L) / Math.max(1, costPerItem));
    forRange(n, grain, body);
  }
}
