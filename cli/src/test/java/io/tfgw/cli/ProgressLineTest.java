package io.tfgw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.converters.convert.ConvertListener;
import io.tfgw.converters.manage.CopyListener;
import io.tfgw.core.storage.Location;
import io.tfgw.converters.manage.Transfer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
  @Test
  void convertProgressCountsTensorsAndBytesThenClearsTheLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressLine bar = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), "tensors");
    bar.started(2, 4096);
    assertThat(bar.line(System.nanoTime())).contains("[" + " ".repeat(30) + "]").contains("0 B / 4.00 KiB")
        .contains("0/2 tensors");
    bar.tensorDone("a", 1024);
    assertThat(bar.line(System.nanoTime())).contains("[" + "#".repeat(7) + " ".repeat(23) + "]")
        .contains("1.00 KiB / 4.00 KiB").contains("1/2 tensors");
    bar.tensorDone("b", 3072);
    String drawn = bytes.toString(StandardCharsets.UTF_8);
    assertThat(drawn).contains("2/2 tensors").endsWith("\r" + " ".repeat(100) + "\r");
  }

  @Test
  void tensorsWithoutFixedSizesAdvanceTheBarByCount() {
    ProgressLine bar = new ProgressLine(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "tensors");
    bar.started(3, 0);
    bar.tensorDone("s", 0);
    assertThat(bar.line(System.nanoTime())).contains("[" + "#".repeat(10) + " ".repeat(20) + "]").contains("1/3 tensors");
  }

  @Test
  void copyProgressCountsFiles() {
    ProgressLine bar = new ProgressLine(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "files");
    bar.started(2, 100);
    bar.transferred(50);
    bar.finished(new Transfer(Location.parse("/a"), Location.parse("/b"), 50));
    assertThat(bar.line(System.nanoTime())).contains("50 B / 100 B").contains("1/2 files");
  }

  @Test
  void silentWithoutATerminalOrWhenAskedTo() {
    // tests run without a console, like pipes and CI
    assertThat(ProgressLine.forConvert(false)).isSameAs(ConvertListener.NONE);
    assertThat(ProgressLine.forCopy(false)).isSameAs(CopyListener.NONE);
    assertThat(ProgressLine.forConvert(true)).isSameAs(ConvertListener.NONE);
  }
}
