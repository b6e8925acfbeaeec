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

  /**
   * The command ./tfgw runs, option for option, so JVM start-up is measured as users pay it: the serial collector,
   * the Vector API module, the class path with the optional backends, and the launcher's class-data-sharing archive
   * (recorded here the way the launcher records it when it is missing or older than the jar; the same file and
   * class path, so the launcher and the bench map one archive). A leading -X option is a JVM option (the heap).
   */
  private static Result tfgwEnv(Path jar, Map<String, String> env, String[] args, boolean leadingJvmOption) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseSerialGC"));
    int from = 0;
    if (leadingJvmOption && args.length > 0 && args[0].startsWith("-X")) {
      cmd.add(args[0]);
      from = 1;
    }
    cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
    Path archive = cdsArchive(jar);
    if (Files.isRegularFile(archive)) {
      cmd.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    }
    cmd.addAll(List.of("-cp", launcherClassPath(jar), "io.tfgw.cli.Main"));
    cmd.addAll(Arrays.asList(args).subList(from, args.length));
    return command(cmd, env);
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The launcher's class path: the jar, then the Azure and HDFS backends' jars (a missing entry is skipped). */
  private static String launcherClassPath(Path jar) {
    Path home = jar.toAbsolutePath().getParent().getParent().getParent();
    return String.join(":", jar.toAbsolutePath().toString(),
        home.resolve("storage-azure/target/tfgw-storage-azure-0.1.0-SNAPSHOT.jar").toString(),
        home.resolve("storage-azure/target/lib/*").toString(),
        home.resolve("storage-hdfs/target/tfgw-storage-hdfs-0.1.0-SNAPSHOT.jar").toString(),
        home.resolve("storage-hdfs/target/lib/*").toString());
  }

  /** cli/target/tfgw-vector.jsa, recorded from the launcher's training command when missing or stale. */
  private static Path cdsArchive(Path jar) throws Exception {
    String name = jar.getFileName().toString().replaceFirst("\\.jar$", "") + "-vector.jsa";
    Path archive = jar.toAbsolutePath().resolveSibling(name);
    if (Files.isRegularFile(archive)
        && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) >= 0) {
      return archive;
    }
    Path home = jar.toAbsolutePath().getParent().getParent().getParent();
    Path training = home.resolve("fixtures/realworld/tf-serving/saved_model_half_plus_two_cpu/00000123");
    if (!Files.isDirectory(training)) {
      return archive;
    }
    List<String> record = List.of(java(), "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector",
        "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
        "-cp", launcherClassPath(jar), "io.tfgw.cli.Main", "inspect", training.toString(), "--hash", "--json");
    try {
      command(record);
    } catch (IOException e) {
      Files.deleteIfExists(archive);
      System.err.println("bench: could not record the class-data-sharing archive; tfgw runs without it: " + e.getMessage());
    }
    return archive;
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

  /**
   * Seconds to wait after the sync before a timed run (bench/run --settle). On the VMs this bench runs on, memory
   * the guest frees (the deleted output of the previous run) is handed back to the host within a few seconds, and
   * pages written after that cost about 4x the system time of pages written at once: the same 2 GiB copy took
   * 1.3-1.4 s started right after the delete and 5.0-5.3 s started 6 s later, alternating (a direct-buffer copy
   * loop; cp showed the same). A run started "right after" the sync fell on either side at random, so every
   * command is started in the same, settled state: the state of a machine that has not just deleted gigabytes.
   */
  static int settleSeconds = 8;

  /**
   * Reads files (or every file below a directory) once, so that they are in the page cache: every timed command
   * reads a source in the cache, as cp's does. tfgw writes its outputs past the cache (O_DIRECT), so a file it has
   * just written, which the next command reads, would otherwise come from the disk.
   */
  static void warm(Path... paths) throws IOException {
    byte[] buf = new byte[1 << 20];
    for (Path p : paths) {
      List<Path> files;
      try (Stream<Path> s = Files.isDirectory(p) ? Files.walk(p) : Stream.of(p)) {
        files = s.filter(Files::isRegularFile).toList();
      }
      for (Path f : files) {
        try (var in = Files.newInputStream(f)) {
          while (in.read(buf) >= 0) {
            // only the page cache is wanted
          }
        }
      }
    }
  }

  /** Flushes dirty pages so the next timed run does not pay for earlier writes, then lets freed memory settle. */
  static void sync() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    Thread.sleep(500L + 1000L * settleSeconds);
  }

  /** The run of median wall time, with the peak RSS of them all. */
  static Result median(List<Result> runs) {
    List<Result> all = new ArrayList<>(runs);
    all.sort(Comparator.comparingDouble(Result::seconds));
    long peak = all.stream().mapToLong(Result::peakRssBytes).max().orElse(0);
    return new Result(all.get(all.size() / 2).seconds(), peak);
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
