package io.tfgw.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `./tfgw demo` runs every step on the shipped files and leaves the outputs it announces. */
class DemoTest {
  @TempDir Path out;

  @Test
  void everyStepRunsAndItsOutputsExist() throws Exception {
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    Demo.prepare(out);
    new Demo(Path.of("..", "fixtures", "realworld").toAbsolutePath().normalize(), out,
        new PrintWriter(stdout, true), new PrintWriter(stderr, true)).run();
    String log = stdout.toString();
    assertThat(stderr.toString()).doesNotContain("failed");
    assertThat(log).contains("== 8. Done").contains("tensors identical to the source")
        .contains("identical: every output of 3 sample(s) matches bit for bit")
        .contains("pushed version 1 to s3://models/nxt/1");
    assertThat(out.resolve("nxt-savedmodel/1/saved_model.pb")).exists();
    assertThat(out.resolve("nxt-frozen.pb")).exists();
    // the ONNX export verifies, and the ONNX file read back classifies the drawn 1 as a 1
    assertThat(out.resolve("mnist.onnx")).exists();
    // the TF1 dynamic GRU's while loop exports as an ONNX Loop, and its --verify compares both sides
    assertThat(out.resolve("dynamic-gru.onnx")).exists();
    assertThat(log).contains("primitive_gru_dynamic/frozen_model.pb (frozen) -> " + out.resolve("dynamic-gru.onnx")
        + " (onnx, opset 17");
    assertThat(log).contains("(onnx, opset 17, IR 8)");
    String probabilities = log.substring(log.indexOf("softmax: float32 [1, 10]"));
    probabilities = probabilities.substring(probabilities.indexOf("[["), probabilities.indexOf("]]") + 2);
    double[] p = java.util.Arrays.stream(probabilities.replace("[", "").replace("]", "").split(","))
        .mapToDouble(v -> Double.parseDouble(v.trim())).toArray();
    assertThat(p).hasSize(10);
    for (int digit = 0; digit < 10; digit++) {
      assertThat(p[1]).as("probability of 1 vs of %d", digit).isGreaterThanOrEqualTo(p[digit]);
    }
    assertThat(out.resolve("keras-savedmodel/1/variables/variables.index")).exists();
    assertThat(out.resolve("keras3-savedmodel/1/variables/variables.index")).exists();
    assertThat(Files.readString(out.resolve("video-v2/checkpoint"))).contains("video_weights.ckpt");
  }
}
