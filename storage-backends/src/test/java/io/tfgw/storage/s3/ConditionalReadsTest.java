package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConditionalReads;
import io.tfgw.core.storage.ConditionalReads.Read.State;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.storage.local.LocalStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a manifest only when it changed: S3 answers {@code If-None-Match} with 304 (one request, no body), the
 * local backend compares the file's identity, size and time; a rewrite is seen, a deletion reads as absent.
 */
class ConditionalReadsTest {
  @TempDir Path tmp;

  private static void write(Storage s, Location l, String text) throws Exception {
    try (AtomicOutputStream out = s.outputFile(l).create()) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.commit();
    }
  }

  private static <S extends Storage & ConditionalReads> void check(S s, Location file) throws Exception {
    assertThat(s.readIfChanged(file, Optional.empty()).state()).isEqualTo(State.ABSENT);
    write(s, file, "one");
    ConditionalReads.Read first = s.readIfChanged(file, Optional.empty());
    assertThat(first.state()).isEqualTo(State.CHANGED);
    assertThat(new String(first.content(), StandardCharsets.UTF_8)).isEqualTo("one");
    ConditionalReads.Read again = s.readIfChanged(file, first.version());
    assertThat(again.state()).isEqualTo(State.UNCHANGED);
    assertThat(again.content()).isEmpty();
    Thread.sleep(5);
    write(s, file, "two!");
    ConditionalReads.Read second = s.readIfChanged(file, first.version());
    assertThat(second.state()).isEqualTo(State.CHANGED);
    assertThat(new String(second.content(), StandardCharsets.UTF_8)).isEqualTo("two!");
    s.delete(file);
    assertThat(s.readIfChanged(file, second.version()).state()).isEqualTo(State.ABSENT);
  }

  @Test
  void s3AnswersAnUnchangedObjectWith304InOneRequest() throws Exception {
    try (S3TestServer server = S3TestServer.start()) {
      server.createBucket("cond");
      try (S3Storage s3 = new S3Storage(S3Settings.from(server.options().build()))) {
        check(s3, Location.parse("s3://cond/m/.tfgw-versions.json"));
        write(s3, Location.parse("s3://cond/x"), "x");
        Optional<String> v = s3.readIfChanged(Location.parse("s3://cond/x"), Optional.empty()).version();
        long before = s3.requestsSent();
        long bytesBefore = s3.statistics().bytesFetched();
        for (int i = 0; i < 10; i++) {
          assertThat(s3.readIfChanged(Location.parse("s3://cond/x"), v).state()).isEqualTo(State.UNCHANGED);
        }
        assertThat(s3.requestsSent() - before).isEqualTo(10);
        assertThat(s3.statistics().bytesFetched()).isEqualTo(bytesBefore); // 304s carry no body
      }
    }
  }

  @Test
  void localFilesAreComparedByIdentitySizeAndTime() throws Exception {
    check(new LocalStorage(), Location.local(tmp.resolve("m/.tfgw-versions.json")));
  }
}
