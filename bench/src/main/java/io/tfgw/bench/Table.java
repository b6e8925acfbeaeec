package io.tfgw.bench;

import java.util.ArrayList;
import java.util.List;

/** The result table: one markdown row per measurement. */
final class Table {
  private final List<String> rows = new ArrayList<>();

  void row(String what, double tfgw, double baseline, String target, Boolean met) {
    String ratio = Double.isNaN(baseline) ? "" : String.format("%.2f×", tfgw / baseline);
    rows.add(String.format("| %s | %.2f s | %s | %s | %s | %s |", what, tfgw,
        Double.isNaN(baseline) ? "n/a" : String.format("%.2f s", baseline), ratio, target, mark(met)));
    System.err.println(rows.get(rows.size() - 1));
  }

  void latency(String what, double tfgwMs, double baselineMs, String target, boolean met) {
    rows.add(String.format("| %s | %.2f ms | %.2f ms | %.2f× | %s | %s |", what, tfgwMs, baselineMs,
        tfgwMs / baselineMs, target, mark(met)));
    System.err.println(rows.get(rows.size() - 1));
  }

  void memory(String what, long bytes) {
    rows.add(String.format("| %s | %d MiB | | | < 512 MiB | %s |", what, bytes >> 20, mark(bytes < 512L << 20)));
    System.err.println(rows.get(rows.size() - 1));
  }

  void throughput(String what, double bytesPerSecond) {
    rows.add(String.format("| %s | %.2f GiB/s | | | (reported) | |", what, bytesPerSecond / (1L << 30)));
    System.err.println(rows.get(rows.size() - 1));
  }

  void fraction(String what, double fraction, String target, boolean met) {
    rows.add(String.format("| %s | %.4f%% | | | %s | %s |", what, fraction * 100, target, mark(met)));
    System.err.println(rows.get(rows.size() - 1));
  }

  private static String mark(Boolean met) {
    return met == null ? "n/a" : met ? "yes" : "**no**";
  }

  void print() {
    rows.forEach(System.out::println);
  }
}
