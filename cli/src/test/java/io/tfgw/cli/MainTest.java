package io.tfgw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.storage.local.LocalStorage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run().code()).isEqualTo(2);
    assertThat(run("inspect").code()).isEqualTo(2);
    assertThat(run("inspect", "x", "--no-such-flag").code()).isEqualTo(2);
    assertThat(run("inspect", "x", "--values").err()).contains("--values needs --tensor");
  }

  @Test
  void helpListsExamplesAndExitsZero() {
    Run r = run("inspect", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Examples:").contains("--hash");
  }

  @Test
  void serveHelpShowsItsOptionsAndExamples() {
    Run r = run("serve", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Examples:", "--token", "--bind", "--max-conversions", "resolve/main/model.safetensors");
    assertThat(run("--help").out()).contains("serve");
    assertThat(run("serve", "x", "--max-conversions", "0").code()).isEqualTo(2);
  }

  @Test
  void errorsAreOneLineWithoutStackTraceUnlessDebug() throws Exception {
    Path notModel = dir.resolve("notes.txt");
    Files.writeString(notModel, "hello");
    Run r = run("inspect", notModel.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: ").contains("not a file tfgw recognises").doesNotContain("\tat ");
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(run("inspect", notModel.toString(), "--debug").err()).contains("\tat ");
  }

  @Test
  void humanTableListsVariables() {
    Location prefix = Location.local(dir.resolve("m"));
    try (BundleWriter w = new BundleWriter(new LocalStorage(), prefix)) {
      w.add("dense/kernel", new InMemoryTensorData(DType.FLOAT, Shape.of(2, 3), new byte[24]));
      w.commit();
    }
    Run r = run("inspect", prefix.toString(), "--hash");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("(v2, 1 shard, 1 variable, 24 B)")
        .containsPattern("dense/kernel\\s+float32\\s+\\[2, 3\\]\\s+24 B\\s+[0-9a-f]{64}");
  }
}
