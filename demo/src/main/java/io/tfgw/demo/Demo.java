package io.tfgw.demo;

import io.tfgw.cli.Main;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./tfgw demo}: every promise of tfgw on real files shipped in {@code fixtures/realworld}, with no setup and
 * no network. Each step is the command a user would type, run through the same entry point, with its output.
 */
public final class Demo {
  private final Path realworld;
  private final Path out;
  private final PrintWriter stdout;
  private final PrintWriter stderr;
  private int step;

  Demo(Path realworld, Path out, PrintWriter stdout, PrintWriter stderr) {
    this.realworld = realworld;
    this.out = out;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** A step that failed; its command already printed why. */
  static final class StepFailed extends RuntimeException {
    final int exitCode;

    StepFailed(int exitCode) {
      super("exit " + exitCode);
      this.exitCode = exitCode;
    }
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("tfgw.home", "."));
    Path out = Path.of("tfgw-demo-output");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--out") && i + 1 < args.length) {
        out = Path.of(args[++i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println("Usage: tfgw demo [--out DIR]\n\nRuns tfgw's main jobs on real model files shipped in "
            + "fixtures/realworld and writes the results to DIR (default ./tfgw-demo-output).");
        return;
      } else {
        System.err.println("Unknown option " + args[i] + "; usage: tfgw demo [--out DIR]");
        System.exit(Main.EXIT_USAGE);
      }
    }
    Path realworld = root.resolve("fixtures/realworld");
    if (!Files.isDirectory(realworld)) {
      System.err.println("error: the demo's files are not at " + realworld.toAbsolutePath()
          + "; run ./tfgw demo from the tfgw checkout");
      System.exit(Main.EXIT_ERROR);
    }
    prepare(out);
    PrintWriter stdout = new PrintWriter(System.out, true);
    PrintWriter stderr = new PrintWriter(System.err, true);
    try {
      new Demo(realworld, out.toAbsolutePath(), stdout, stderr).run();
    } catch (StepFailed e) {
      System.exit(e.exitCode);
    }
    System.exit(0);
  }

  void run() throws Exception {
    say("tfgw demo: real files from public repositories (fixtures/realworld/SOURCES.md), outputs in " + out);

    section("Migrate a 2016 V1 checkpoint (TF 0.x, no .meta) to V2, checking every tensor, and inspect it");
    tfgw("convert", rw("nxt-tensorflow/no_meta/video_weights.ckpt"), out.resolve("video-v2") + "/", "--to", "v2",
        "--verify");
    tfgw("inspect", out.resolve("video-v2").toString(), "--hash");

    section("Checkpoint + .meta (a V1 checkpoint from 2016) to a SavedModel for TF Serving and to a frozen graph,"
        + " each verified by running both models in tfgw's own runtime");
    String nxt = rw("nxt-tensorflow/v1_with_meta/model.ckpt");
    Path savedModel = out.resolve("nxt-savedmodel/1");
    tfgw("convert", nxt, savedModel.toString(), "--to", "savedmodel", "--outputs", "add_1", "--verify");
    tfgw("convert", nxt, out.resolve("nxt-frozen.pb").toString(), "--to", "frozen", "--outputs", "add_1", "--verify");

    section("A TF2 SavedModel (functions, resource variables) frozen by inlining its signature");
    tfgw("convert", rw("tfjs-node/saved_model/times_three_float"), out.resolve("times-three.pb").toString(), "--to",
        "frozen", "--verify");

    section("A Keras .h5 (Keras 2.3, Conv2D/MaxPooling/Dense) to a SavedModel, verified");
    tfgw("convert", rw("dl4j-test-resources/keras/weights/simpleconv2d.hdf5"), out.resolve("keras-savedmodel/1").toString(),
        "--to", "savedmodel", "--verify");

    section("A Keras 3 .keras (Embedding, Bidirectional GRU, TimeDistributed Dense) to a SavedModel, verified");
    tfgw("convert", rw("keras3/translation/final_model.keras"), out.resolve("keras3-savedmodel/1").toString(),
        "--to", "savedmodel", "--verify");

    section("A TF2 SavedModel (MNIST classifier) exported to ONNX and verified (within 64 ulp of each output's "
        + "largest magnitude, ONNX's bound); the ONNX file run back in tfgw on a drawn digit 1, and compared with "
        + "tf2onnx's export of the same SavedModel; a TF1 dynamic GRU (while loop, TensorArrays) as an ONNX Loop");
    Path pair = realworld.resolve("onnx-pairs/convert_model_x2y");
    Path onnx = out.resolve("mnist.onnx");
    tfgw("convert", pair.resolve("mnist").toString(), onnx.toString(), "--to", "onnx", "--verify");
    Path digit = out.resolve("digit-one.json");
    Files.writeString(digit, drawnOne("sequential_input"));
    tfgw("run", onnx.toString(), "--inputs", digit.toString());
    tfgw("verify", pair.resolve("mnist.onnx").toString(), onnx.toString());
    // a TF1 dynamic GRU (tf.nn.dynamic_rnn: a while loop over TensorArrays) becomes an ONNX Loop over sequences
    tfgw("convert", rw("dl4j-test-resources/tf_graphs/examples/primitive_gru_dynamic/frozen_model.pb"),
        out.resolve("dynamic-gru.onnx").toString(), "--to", "onnx", "--verify");

    section("Push the SavedModel to S3 in TF Serving's layout (an S3 server started on 127.0.0.1 for the demo)");
    try (EmbeddedS3 s3 = EmbeddedS3.start()) {
      s3.createBucket("models");
      System.setProperty("aws.accessKeyId", EmbeddedS3.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", EmbeddedS3.SECRET_KEY);
      System.setProperty("aws.region", "us-east-1");
      List<String> s3opts = List.of("--endpoint", s3.endpoint(), "--path-style");
      tfgw(with(s3opts, "push", savedModel.toString(), "s3://models/nxt"));
      tfgw(with(s3opts, "ls", "s3://models/nxt"));
      tfgw(with(s3opts, "inspect", "s3://models/nxt/1"));
    }

    section("Done");
    say("Outputs in " + out + ":");
    try (var files = Files.walk(out)) {
      files.filter(Files::isRegularFile).sorted().forEach(f -> {
        try {
          say(String.format("  %-70s %,12d bytes", out.relativize(f), Files.size(f)));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    say("Next: ./tfgw --help, and README.md for S3, archives, Keras, run and verify.");
  }

  /** A 28x28 image of a vertical stroke, the digit 1, as `run --inputs` takes it under {@code input}. */
  private static String drawnOne(String input) {
    StringBuilder values = new StringBuilder();
    for (int row = 0; row < 28; row++) {
      for (int col = 0; col < 28; col++) {
        values.append(values.length() == 0 ? "" : ", ").append(row >= 4 && row < 24 && col >= 13 && col < 16 ? "1.0"
            : "0.0");
      }
    }
    return "{\"" + input + "\": {\"dtype\": \"float32\", \"shape\": [1, 28, 28], \"values\": [" + values + "]}}\n";
  }

  private String rw(String relative) {
    return realworld.resolve(relative).toAbsolutePath().toString();
  }

  private static String[] with(List<String> options, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(options);
    return all.toArray(String[]::new);
  }

  private void section(String title) {
    stdout.println();
    stdout.println("== " + (++step) + ". " + title);
  }

  private void say(String line) {
    stdout.println(line);
  }

  private void tfgw(String... args) {
    stdout.println("$ tfgw " + String.join(" ", args).replace(realworld.toAbsolutePath() + "/", "fixtures/realworld/"));
    int code = Main.execute(args, stdout, stderr);
    if (code != 0) {
      stderr.println("demo: step " + step + " failed (exit " + code + ")");
      throw new StepFailed(code);
    }
  }

  /** A fresh output directory: the demo's outputs of an earlier run are replaced. */
  static void prepare(Path out) throws java.io.IOException {
    if (Files.exists(out)) {
      deleteTree(out);
    }
    Files.createDirectories(out);
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
