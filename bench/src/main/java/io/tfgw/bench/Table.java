package io.tfgw.bench;

import java.util.ArrayList;
import java.util.List;

/** The result table: one markdown row per measurement, and under it one line per target saying whether it was met. */
final class Table {
  private final List<String> rows = new ArrayList<>();
  private final List<String> targets = new ArrayList<>();

  void row(String what, double tfgw, double baseline, String target, Boolean met) {
    String ratio = Double.isNaN(baseline) ? "" : String.format("%.2f×", tfgw / baseline);
    add(String.format("| %s | %.2f s | %s | %s | %s | %s |", what, tfgw,
        Double.isNaN(baseline) ? "n/a" : String.format("%.2f s", baseline), ratio, target, mark(met)));
    target(what, target, met, ratio.isEmpty() ? String.format("%.2f s, no baseline", tfgw) : ratio);
  }

  void latency(String what, double tfgwMs, double baselineMs, String target, boolean met) {
    add(String.format("| %s | %.2f ms | %.2f ms | %.2f× | %s | %s |", what, tfgwMs, baselineMs,
        tfgwMs / baselineMs, target, mark(met)));
    target(what, target, met, String.format("%.2f×", tfgwMs / baselineMs));
  }

  void memory(String what, long bytes) {
    boolean met = bytes < 512L << 20;
    add(String.format("| %s | %d MiB | | | < 512 MiB | %s |", what, bytes >> 20, mark(met)));
    target(what, "< 512 MiB", met, (bytes >> 20) + " MiB");
  }

  void throughput(String what, double bytesPerSecond) {
    add(String.format("| %s | %.2f GiB/s | | | (reported) | |", what, bytesPerSecond / (1L << 30)));
  }

  void fraction(String what, double fraction, String target, boolean met) {
    add(String.format("| %s | %.4f%% | | | %s | %s |", what, fraction * 100, target, mark(met)));
    target(what, target, met, String.format("%.4f%%", fraction * 100));
  }

  private void add(String row) {
    rows.add(row);
    System.err.println(row);
  }

  /** One summary line: the target, met or missed, and the measured value or ratio that decided it. */
  private void target(String what, String target, Boolean met, String measured) {
    if (target.startsWith("(")) {
      return; // "(reported)": no target
    }
    targets.add(String.format("- %s: %s (%s, target %s)", what, met == null ? "n/a" : met ? "met" : "MISSED",
        measured, target));
  }

  private static String mark(Boolean met) {
    return met == null ? "n/a" : met ? "yes" : "**no**";
  }

  void print() {
    rows.forEach(System.out::println);
  }

  /** The targets, one line each, for the lines under the table. */
  void printTargets() {
    if (targets.isEmpty()) {
      return;
    }
    System.out.println();
    System.out.println("Targets:");
    targets.forEach(System.out::println);
  }
}
