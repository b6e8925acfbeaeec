package io.tfgw.runtime.kernels;

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

  private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

  /** Work on [lo, hi). */
  @FunctionalInterface
  public interface Range {
    void run(int lo, int hi);
  }

  private Parallel() {}

  /**
   * Limits kernels to {@code n} threads (1: everything on the calling thread). Results do not depend on it; tests
   * use it to prove that, and benchmarks to measure scaling.
   */
  public static void setThreads(int n) {
    threads = Math.max(1, n);
  }

  public static int threads() {
    return threads;
  }

  /** Runs {@code body} over [0, n) in chunks of at least {@code grain} items, in parallel when worth it. */
  public static void forRange(int n, int grain, Range body) {
    if (n <= 0) {
      return;
    }
    int t = threads;
    int chunks = Math.min(t * 4, Math.max(1, n / Math.max(1, grain)));
    if (chunks <= 1 || t == 1 || ForkJoinTask.inForkJoinPool()) {
      body.run(0, n);
      return;
    }
    List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
    ForkJoinPool pool = pool();
    for (int c = 1; c < chunks; c++) {
      int lo = (int) ((long) n * c / chunks);
      int hi = (int) ((long) n * (c + 1) / chunks);
      tasks.add(pool.submit(() -> body.run(lo, hi)));
    }
    RuntimeException failure = null;
    try {
      body.run(0, (int) ((long) n / chunks));
    } catch (RuntimeException e) {
      failure = e;
    }
    for (ForkJoinTask<?> task : tasks) {
      try {
        task.join();
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

  private static volatile ForkJoinPool pool;

  /** The kernels' own pool (daemon threads, one per core): the common pool has one thread less than cores. */
  private static ForkJoinPool pool() {
    ForkJoinPool p = pool;
    if (p == null) {
      synchronized (Parallel.class) {
        p = pool;
        if (p == null) {
          p = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
          pool = p;
        }
      }
    }
    return p;
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
