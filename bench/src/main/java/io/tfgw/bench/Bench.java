package io.tfgw.bench;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.inspect.InspectOptions;
import io.tfgw.converters.inspect.Inspector;
import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.testing.SyntheticTensor;
import io.tfgw.storage.local.LocalStorage;
import io.tfgw.storage.s3.S3Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark of README's Performance section: tfgw beside the practical limits (cp, the AWS CLI) and beside
 * TensorFlow itself, on generated data, in one run, printing one markdown table. Run it with {@code bench/run}.
 */
public final class Bench {
  private final Path work;
  private final long size;
  private final Path jar;
  private final Table table = new Table();

  private Bench(Path work, long size, Path jar) {
    this.work = work;
    this.size = size;
    this.jar = jar;
  }

  public static void main(String[] args) throws Exception {
    long size = 2L << 30;
    long onnxSize = 3L << 30;
    Path work = Path.of("bench/work");
    Path jar = Path.of("cli/target/tfgw.jar");
    List<String> skip = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> {
          size = 128L << 20;
          onnxSize = 128L << 20;
        }
        case "--size" -> size = parseSize(args[++i]);
        case "--onnx-size" -> onnxSize = parseSize(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]);
        case "--skip" -> skip.addAll(List.of(args[++i].split(",")));
        case "--settle" -> Runs.settleSeconds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; usage: bench/run [--quick] [--size 2G] [--onnx-size 3G] [--work DIR] [--settle SECONDS] "
            + "[--skip convert,inspect,s3,runtime,onnx,tf]");
      }
    }
    Files.createDirectories(work);
    Bench b = new Bench(work.toAbsolutePath(), size, jar.toAbsolutePath());
    System.err.printf("tfgw bench: %s of generated checkpoints in %s%n", human(size), work);
    if (!skip.contains("convert")) {
      b.conversions(!skip.contains("tf"));
    }
    if (!skip.contains("inspect")) {
      b.inspect(!skip.contains("tf"));
    }
    if (!skip.contains("s3")) {
      b.s3();
    }
    if (!skip.contains("tf") && !skip.contains("runtime")) {
      b.runtime();
    }
    if (!skip.contains("onnx")) {
      OnnxExportBench.measure(b.work, b.jar, onnxSize, b.table);
    }
    System.out.println();
    System.out.println("| measurement | tfgw | baseline | ratio | target | met |");
    System.out.println("|---|---:|---:|---:|---|:---:|");
    b.table.print();
    System.out.printf("%nMachine: %d cores, %s; Java %s; data %s; command: bench/run %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("java.version"),
        human(size), String.join(" ", args));
    b.table.printTargets();
  }

  static long parseSize(String s) {
    String t = s.toUpperCase(Locale.ROOT);
    long mult = t.endsWith("G") ? 1L << 30 : t.endsWith("M") ? 1L << 20 : t.endsWith("K") ? 1L << 10 : 1;
    return (long) (Double.parseDouble(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult);
  }

  static String human(long bytes) {
    return bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30)) : String.format("%.0f MiB", bytes / (double) (1L << 20));
  }

  /** Writes a V2 checkpoint of {@code total} bytes in {@code count} float tensors, generated on the fly. */
  private Path generate(String name, long total, int count) {
    Path prefix = work.resolve(name + "-" + (total >> 20) + "m/model.ckpt");
    if (Files.exists(Path.of(prefix + ".index"))) {
      return prefix;
    }
    long per = Math.max(4, total / count / 4);
    try (BundleWriter w = new BundleWriter(new LocalStorage(), Location.local(prefix))) {
      for (int i = 0; i < count; i++) {
        w.add(String.format("model/layer_%05d/kernel", i), new SyntheticTensor(DType.FLOAT, Shape.of(per), i));
      }
      w.commit();
    }
    return prefix;
  }

  private void conversions(boolean withTf) throws Exception {
    for (String kind : List.of("many", "huge")) {
      int count = kind.equals("many") ? 2000 : 4;
      Path v2 = generate(kind, size, count);
      Path v1 = work.resolve(kind + "-out-v1/model.ckpt");
      Path back = work.resolve(kind + "-out-v2/model.ckpt");
      Path copied = work.resolve(kind + "-out-v2v2/model.ckpt");
      Runs.deleteTree(v1.getParent());
      Runs.deleteTree(back.getParent());
      Runs.deleteTree(copied.getParent());

      // tfgw's outputs are durable when it returns (fsync before the atomic rename), so the practical limit is a
      // durable copy: cp, then sync. Every timed run starts after a sync and the same settling (Runs.sync), and the
      // four commands alternate, three rounds, median of each: the VM's disk varies from minute to minute.
      List<Runs.Result> cps = new ArrayList<>();
      List<Runs.Result> toV1s = new ArrayList<>();
      List<Runs.Result> toV2s = new ArrayList<>();
      List<Runs.Result> v2ToV2s = new ArrayList<>();
      Path cpTo = work.resolve("cp-" + kind);
      // A durable copy that, like tfgw's writes, bypasses the page cache: the data file with O_DIRECT in 1 MiB
      // pieces (GNU dd). Reported beside the target's baseline, since on a VM the page cache can be the whole cost.
      List<Runs.Result> dds = new ArrayList<>();
      Path ddTo = work.resolve("dd-" + kind + ".data");
      Path dataFile = Path.of(v2 + ".data-00000-of-00001");
      Runs.warm(v2.getParent());
      for (int round = 0; round < 3; round++) {
        Files.deleteIfExists(ddTo);
        Runs.sync();
        dds.add(Runs.command(List.of("dd", "if=" + dataFile, "of=" + ddTo, "bs=1M", "oflag=direct", "conv=fsync",
            "status=none")));
        Files.deleteIfExists(ddTo);
        Runs.deleteTree(cpTo);
        Runs.deleteTree(copied.getParent());
        Runs.sync();
        cps.add(Runs.command(List.of("sh", "-c", "cp -r '" + v2.getParent() + "' '" + cpTo + "' && sync")));
        Runs.deleteTree(cpTo);
        Runs.deleteTree(v1.getParent());
        Runs.sync();
        toV1s.add(Runs.tfgw(jar, "-Xmx256m", "convert", v2.toString(), v1.toString(), "--to", "v1", "--no-meta", "-q"));
        Runs.deleteTree(back.getParent());
        Runs.warm(v1.getParent());
        Runs.sync();
        toV2s.add(Runs.tfgw(jar, "-Xmx256m", "convert", v1.toString(), back.toString(), "--to", "v2", "--no-meta", "-q"));
        Runs.deleteTree(back.getParent());
        Runs.sync();
        // V2 to V2 with nothing renamed or filtered: every byte goes out unchanged (and is still crc-checked)
        v2ToV2s.add(Runs.tfgw(jar, "-Xmx256m", "convert", v2.toString(), copied.toString(), "--to", "v2", "--no-meta",
            "-q"));
      }
      double cp = Runs.median(cps).seconds();
      Runs.Result toV1 = Runs.median(toV1s);
      Runs.Result toV2 = Runs.median(toV2s);
      Runs.Result v2ToV2 = Runs.median(v2ToV2s);
      String what = kind.equals("many") ? count + " tensors" : count + " huge tensors";
      table.row("V2→V1 convert, " + what + " (vs cp + sync)", toV1.seconds(), cp, "≤ 1.3× cp", toV1.seconds() <= 1.3 * cp);
      table.row("V1→V2 convert, " + what + " (vs cp + sync)", toV2.seconds(), cp, "≤ 1.3× cp", toV2.seconds() <= 1.3 * cp);
      table.row("V2→V2 copy-through, " + what + " (vs cp + sync)", v2ToV2.seconds(), cp, "≤ 1.1× cp",
          v2ToV2.seconds() <= 1.1 * cp);
      double dd = Runs.median(dds).seconds();
      table.row("V2→V1 convert, " + what + " (vs dd oflag=direct bs=1M of the data file)", toV1.seconds(), dd,
          "(reported)", null);
      table.row("V1→V2 convert, " + what + " (vs dd oflag=direct bs=1M of the data file)", toV2.seconds(), dd,
          "(reported)", null);
      table.row("V2→V2 copy-through, " + what + " (vs dd oflag=direct bs=1M of the data file)", v2ToV2.seconds(), dd,
          "(reported)", null);
      table.memory("peak RSS of convert at -Xmx256m, " + what,
          Math.max(v2ToV2.peakRssBytes(), Math.max(toV1.peakRssBytes(), toV2.peakRssBytes())));
      if (withTf) {
        List<TensorInfo> tensors;
        try (CheckpointReader r = Checkpoints.open(new LocalStorage(), Location.local(v2))) {
          tensors = r.tensors();
        }
        double tfToV1 = TfBaseline.restoreAndSave(v2, work.resolve("tf-" + kind + "-v1/model.ckpt"), tensors, true);
        double tfToV2 = TfBaseline.restoreAndSave(v1, work.resolve("tf-" + kind + "-v2/model.ckpt"), tensors, false);
        table.row("V2→V1 convert, " + what + " (vs TF restore+save)", toV1.seconds(), tfToV1, "≥ 2× faster",
            toV1.seconds() * 2 <= tfToV1);
        table.row("V1→V2 convert, " + what + " (vs TF restore+save)", toV2.seconds(), tfToV2, "≥ 2× faster",
            toV2.seconds() * 2 <= tfToV2);
      }
    }
  }

  private void inspect(boolean withTf) throws Exception {
    Path small = work.resolve("small/model.ckpt");
    if (!Files.exists(Path.of(small + ".index"))) {
      try (BundleWriter w = new BundleWriter(new LocalStorage(), Location.local(small))) {
        for (int i = 0; i < 15; i++) {
          w.add("dense_" + i + "/kernel", new SyntheticTensor(DType.FLOAT, Shape.of(16, 16), i));
        }
        w.commit();
      }
    }
    double inspect = Runs.median(5, () -> Runs.tfgw(jar, null, "inspect", small.toString(), "-q").seconds());
    double tf = withTf ? Runs.median(3, () -> TfBaseline.listInNewJvm(small).seconds()) : Double.NaN;
    table.row("inspect of a small checkpoint, wall incl. JVM start (vs TF Java restore in a new JVM)", inspect, tf,
        "< 0.5 s", inspect < 0.5);

    Path many = generate("many", size, 2000);
    long bytes = Files.size(Path.of(many + ".data-00000-of-00001"));
    Runs.Result hash = Runs.bestResult(2, () -> Runs.tfgw(jar, null, "inspect", many.toString(), "--hash", "--json"));
    table.throughput("inspect --hash (crc32c + sha256), " + human(bytes), bytes / hash.seconds());
  }

  private void s3() throws Exception {
    Path s3dir = work.resolve("s3-store");
    Runs.deleteTree(s3dir);
    java.nio.file.Files.createDirectories(s3dir);
    try (BenchS3 server = BenchS3.start(s3dir)) {
      server.createBucket("bench");
      long treeSize = Math.min(size, 1L << 30);
      Path model = generate("savedmodel-variables", treeSize, 64);
      Path tree = work.resolve("savedmodel-tree-" + (treeSize >> 20) + "m/1");
      if (!Files.exists(tree.resolve("variables/variables.index"))) {
        Files.createDirectories(tree.resolve("variables"));
        Files.copy(Path.of(model + ".index"), tree.resolve("variables/variables.index"));
        Files.copy(Path.of(model + ".data-00000-of-00001"), tree.resolve("variables/variables.data-00000-of-00001"));
        Files.write(tree.resolve("saved_model.pb"), new byte[] {8, 1});
      }
      long treeBytes = Files.size(tree.resolve("variables/variables.data-00000-of-00001"));
      List<String> s3Args = List.of("--endpoint", server.endpoint().toString(), "--path-style");
      var env = java.util.Map.of("AWS_ACCESS_KEY_ID", BenchS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY",
          BenchS3.SECRET_KEY, "AWS_REGION", "us-east-1");
      Path down = work.resolve("s3-down");
      Path aws = Path.of("/usr/bin/aws");
      Path config = work.resolve("aws-config");
      Files.writeString(config, "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
      var awsEnv = new java.util.HashMap<>(env);
      awsEnv.put("AWS_CONFIG_FILE", config.toString());
      Path awsDownDir = work.resolve("aws-down");
      boolean withAws = Files.isExecutable(aws);
      // tfgw and the AWS CLI alternate, three rounds, median of each: the VM's disk and first-touch memory costs
      // drift over minutes, and whoever went first would otherwise pay for the other
      BenchS3.Rounds rounds = new BenchS3.Rounds();
      Runs.warm(tree);
      for (int round = 0; round < 3; round++) {
        Runs.sync(); // every upload starts settled too: the store in this JVM writes what it receives to disk
        rounds.up.add(Runs.tfgwEnv(jar, env, "cp", "-r", tree.toString(), "s3://bench/tfgw/1/",
            s3Args.get(0), s3Args.get(1), s3Args.get(2), "-q").seconds());
        if (withAws) try {
          Runs.sync();
          rounds.awsUp.add(Runs.command(List.of(aws.toString(), "s3", "cp", "--recursive", "--only-show-errors",
              "--endpoint-url", server.endpoint().toString(), tree.toString(), "s3://bench/aws/1/"), awsEnv).seconds());
        } catch (java.io.IOException e) {
          System.err.println("bench: the AWS CLI failed, its column shows n/a: " + e.getMessage());
          withAws = false;
          rounds.awsFailed();
        }
        Runs.deleteTree(down);
        Runs.sync();
        rounds.down.add(Runs.tfgwEnv(jar, env, "cp", "-r", "s3://bench/tfgw/1", down + "/", s3Args.get(0),
            s3Args.get(1), s3Args.get(2), "-q").seconds());
        if (withAws) {
          Runs.deleteTree(awsDownDir);
          Runs.sync();
          rounds.awsDown.add(Runs.command(List.of(aws.toString(), "s3", "cp", "--recursive",
              "--only-show-errors", "--endpoint-url", server.endpoint().toString(), "s3://bench/aws/1/",
              awsDownDir.toString()), awsEnv).seconds());
        }
      }
      double up = BenchS3.median(rounds.up);
      double dn = BenchS3.median(rounds.down);
      double awsUp = BenchS3.median(rounds.awsUp);
      double awsDown = BenchS3.median(rounds.awsDown);
      String what = human(treeBytes) + " SavedModel tree";
      table.row("cp to S3 (S3Proxy on 127.0.0.1), " + what + " (vs aws s3 cp)", up, awsUp, "≤ AWS CLI",
          Double.isNaN(awsUp) ? null : up <= awsUp);
      table.row("cp from S3, " + what + " (vs aws s3 cp)", dn, awsDown, "≤ AWS CLI",
          Double.isNaN(awsDown) ? null : dn <= awsDown);

      // inspect of a large checkpoint on S3 fetches only the index and what locates it
      try (StorageRouter router = StorageRouter.create(io.tfgw.core.storage.StorageOptions.builder()
          .set("s3.endpoint", server.endpoint().toString()).set("s3.path-style", "true").set("s3.region", "us-east-1")
          .set("s3.access-key-id", BenchS3.ACCESS_KEY).set("s3.secret-access-key", BenchS3.SECRET_KEY).build())) {
        Location remote = Location.parse("s3://bench/tfgw/1");
        new Inspector(router).inspect(remote, InspectOptions.defaults());
        S3Storage s3 = (S3Storage) router.backendFor(remote);
        double fraction = s3.statistics().bytesFetched() / (double) treeBytes;
        table.fraction("bytes fetched by inspect s3://... of a " + human(treeBytes) + " model", fraction, "< 1%",
            fraction < 0.01);
      }
    }
  }

  private void runtime() throws Exception {
    for (RuntimeBench.Net net : List.of(RuntimeBench.mlp(), RuntimeBench.convNet())) {
      double[] ms = RuntimeBench.measure(net, 200);
      // issue #19's target; the vector kernels run when bench/run passes --add-modules jdk.incubator.vector
      table.latency("runtime forward pass, " + net.name() + " (vs TF Java, oneDNN off)", ms[0], ms[1], "≤ 2× TF",
          ms[0] <= 2 * ms[1]);
    }
  }

  static void check(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException(what);
    }
  }
}
