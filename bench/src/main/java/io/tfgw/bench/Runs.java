package io.tfgw.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** Timing whole commands: wall time and peak resident memory (VmHWM, polled from /proc while it runs). */
final class Runs {
  record Result(double seconds, long peakRssBytes) {}

  private Runs() {}

  static Result command(List<String> cmd) throws Exception {
    return command(cmd, Map.of());
  }

  static Result command(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile("tfgw-bench", ".log");
    pb.redirectOutput(log.toFile());
    long start = System.nanoTime();
    Process p = pb.start();
    long peak = 0;
    Path status = Path.of("/proc/" + p.pid() + "/status");
    while (p.isAlive()) {
      peak = Math.max(peak, vmHwm(status));
      Thread.sleep(10);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int code = p.waitFor();
    String out = Files.readString(log);
    Files.deleteIfExists(log);
    if (code != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + code + "):\n" + out);
    }
    return new Result(seconds, peak);
  }

  private static long vmHwm(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between the check and the read
    }
    return 0;
  }

  static Result tfgw(Path jar, String heap, String... args) throws Exception {
    return tfgwEnv(jar, Map.of(), heap == null ? args : prepend(heap, args), true);
  }

  static Result tfgwEnv(Path jar, Map<String, String> env, String... args) throws Exception {
    return tfgwEnv(jar, env, args, false);
  }

  private static String[] prepend(String heap, String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = heap;
    System.arraycopy(args, 0, all, 1, args.length);
    return all;
  }

  /** The command ./tfgw runs: same JVM options as the launcher; a leading -X option is a JVM option. */
  private static Result tfgwEnv(Path jar, Map<String, String> env, String[] args, boolean leadingJvmOption) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Xshare:auto"));
    int from = 0;
    if (leadingJvmOption && args.length > 0 && args[0].startsWith("-X")) {
      cmd.add(args[0]);
      from = 1;
    }
    cmd.addAll(List.of("-jar", jar.toString()));
    cmd.addAll(Arrays.asList(args).subList(from, args.length));
    return command(cmd, env);
  }

  static double best(int n, Callable<Double> run) throws Exception {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      best = Math.min(best, run.call());
    }
    return best;
  }

  static Result bestResult(int n, Callable<Result> run) throws Exception {
    Result best = null;
    long peak = 0;
    for (int i = 0; i < n; i++) {
      Result r = run.call();
      peak = Math.max(peak, r.peakRssBytes());
      if (best == null || r.seconds() < best.seconds()) {
        best = r;
      }
    }
    return new Result(best.seconds(), peak);
  }

  static Result medianResult(int n, Callable<Result> run) throws Exception {
    List<Result> all = new ArrayList<>();
    long peak = 0;
    for (int i = 0; i < n; i++) {
      Result r = run.call();
      all.add(r);
      peak = Math.max(peak, r.peakRssBytes());
    }
    all.sort(Comparator.comparingDouble(Result::seconds));
    return new Result(all.get(n / 2).seconds(), peak);
  }

  /** Flushes dirty pages so the next timed run does not pay for earlier writes. */
  static void sync() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    Thread.sleep(500);
  }

  static double median(int n, Callable<Double> run) throws Exception {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = run.call();
    }
    Arrays.sort(v);
    return v[n / 2];
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
