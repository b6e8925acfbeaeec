package io.tfgw.storage.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP backend against a web server that misbehaves on purpose: changes, redirects, failures, no ranges. */
class HttpStorageTest {
  @TempDir Path served;
  HttpTestServer server;
  HttpStorage storage;
  byte[] content = new byte[200_000];

  @BeforeEach
  void start() throws Exception {
    new Random(7).nextBytes(content);
    Files.createDirectories(served.resolve("models/run"));
    Files.write(served.resolve("models/run/data.bin"), content);
    server = HttpTestServer.serve(served);
    storage = new HttpStorage(HttpSettings.from(StorageOptions.builder().set("http.chunk-size", String.valueOf(64 << 10)).build()));
  }

  @AfterEach
  void stop() {
    storage.close();
    server.close();
  }

  private Location at(String path) {
    return Location.parse(server.url(path));
  }

  @Test
  void aFileReplacedMidReadFailsNamingIt() throws Exception {
    Location loc = at("models/run/data.bin");
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      assertThat(in.readFully(0, 100)).isEqualTo(Arrays.copyOf(content, 100));
      byte[] other = content.clone();
      other[5] ^= 1;
      Files.write(served.resolve("models/run/data.bin"), other);
      Files.setLastModifiedTime(served.resolve("models/run/data.bin"),
          java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
      assertThatThrownBy(() -> in.readFully(1000, 100)).isInstanceOf(StorageException.class)
          .hasMessageContaining(loc.toString()).hasMessageContaining("changed on the server while tfgw was reading it");
    }
    assertThat(server.requests()).filteredOn(r -> r.method().equals("GET")).allSatisfy(r -> assertThat(r.range()).isNotNull());
  }

  @Test
  void redirectsAreFollowedAndDirectoriesAreNotFiles() {
    server.redirect("/moved/", "/models/");
    Location moved = at("moved/run/data.bin");
    assertThat(storage.inputFile(moved).length()).isEqualTo(content.length);
    try (RandomAccessInput in = storage.inputFile(moved).open()) {
      assertThat(in.readFully(150_000, 10)).isEqualTo(Arrays.copyOfRange(content, 150_000, 150_010));
    }
    assertThat(storage.exists(at("models/run"))).as("a directory is not a file").isFalse();
    assertThat(storage.isDirectory(at("models/run"))).isTrue();
    assertThat(storage.isDirectory(at("models/run/data.bin"))).isFalse();
    assertThat(storage.isDirectory(at("models/nothing"))).isFalse();

    server.redirect("/loop/", "/loop/");
    assertThatThrownBy(() -> storage.exists(at("loop/x"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("redirects");
  }

  @Test
  void serverErrorsAreRetriedWithBackoffAndReportedWhenTheyLast() {
    Location loc = at("models/run/data.bin");
    server.failNext(2, 503);
    assertThat(storage.inputFile(loc).readAllBytes()).isEqualTo(content);
    server.failNext(100, 500);
    assertThatThrownBy(() -> storage.inputFile(loc).length()).isInstanceOf(StorageException.class)
        .hasMessageContaining(loc.toString()).hasMessageContaining("HTTP 500");
    server.failNext(0, 500);
  }

  @Test
  void bodiesThatBreakOffAreResumedFromTheByteReached() throws Exception {
    Location loc = at("models/run/data.bin");
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      server.breakNext(2);
      assertThat(in.readFully(10, 150_000)).isEqualTo(Arrays.copyOfRange(content, 10, 150_010));
    }
    server.breakNext(3);
    try (InputStream s = storage.inputFile(loc).newStream()) {
      assertThat(s.readAllBytes()).isEqualTo(content);
    }
    assertThat(server.requests()).anySatisfy(r -> assertThat(r.range()).startsWith("bytes=").doesNotStartWith("bytes=0-")
        .doesNotStartWith("bytes=10-"));
  }

  @Test
  void serversWithoutRangesOrHeadStillReadCorrectly() {
    server.ranges(false).head(false);
    Location loc = at("models/run/data.bin");
    assertThat(storage.inputFile(loc).length()).isEqualTo(content.length);
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      assertThat(in.readFully(123_456, 1000)).isEqualTo(Arrays.copyOfRange(content, 123_456, 124_456));
      assertThat(in.readTail(16)).isEqualTo(Arrays.copyOfRange(content, content.length - 16, content.length));
    }
  }

  @Test
  void listingNeedsAnIndexAndSaysSoWhenThereIsNone() throws Exception {
    Files.write(served.resolve("models/run/b c.bin"), new byte[3]);
    server.index(HttpTestServer.Index.JSON);
    server.resetCounters();
    assertThat(storage.list(at("models"))).extracting(e -> e.location().path(), FileEntry::length)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("models/run/b c.bin", 3L),
            org.assertj.core.groups.Tuple.tuple("models/run/data.bin", (long) content.length));
    assertThat(server.requests()).as("JSON indexes give sizes: no HEAD per file").noneMatch(r -> r.method().equals("HEAD"));

    server.index(HttpTestServer.Index.NONE);
    assertThatThrownBy(() -> storage.list(at("models"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("no directory index").hasMessageContaining("Name the files directly");
    assertThat(storage.isDirectory(at("models/run"))).as("a directory without an index is still one").isTrue();
    assertThat(storage.list(at("nothing/here"))).isEmpty();
    assertThat(storage.inputFile(at("models/run/data.bin")).length()).isEqualTo(content.length);
  }

  @Test
  void missingFilesAndDeadServersAreExplained() {
    assertThatThrownBy(() -> storage.inputFile(at("models/missing.bin")).open())
        .isInstanceOf(LocationNotFoundException.class).hasMessageContaining("models/missing.bin");
    int port = server.base().getPort();
    server.close();
    long start = System.nanoTime();
    Location dead = Location.parse("http://127.0.0.1:" + port + "/x.bin");
    assertThatThrownBy(() -> storage.exists(dead)).isInstanceOf(StorageException.class)
        .hasMessageContaining(dead.toString()).hasMessageContaining("refuses connections");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
    server = HttpTestServer.serve(served); // for stop()
  }

  @Test
  void writesAreRefused() {
    assertThatThrownBy(() -> storage.outputFile(at("models/new.bin"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("read-only").hasMessageContaining("models/new.bin");
  }

  @Test
  void httpsWorksWithATrustedCertificateAndExplainsAnUntrustedOne(@TempDir Path keys) throws Exception {
    TestCertificate certificate = TestCertificate.create(keys);
    try (HttpTestServer tls = HttpTestServer.serveTls(served, certificate)) {
      Location loc = Location.parse(tls.url("models/run/data.bin"));
      assertThat(loc.scheme()).isEqualTo(Location.HTTPS);
      assertThatThrownBy(() -> storage.exists(loc)).isInstanceOf(StorageException.class)
          .hasMessageContaining(loc.toString()).hasMessageContaining("TLS handshake failed");
      javax.net.ssl.SSLContext previous = javax.net.ssl.SSLContext.getDefault();
      javax.net.ssl.SSLContext.setDefault(certificate.clientContext());
      try (HttpStorage trusting = new HttpStorage(HttpSettings.from(StorageOptions.defaults()))) {
        assertThat(trusting.inputFile(loc).readAllBytes()).isEqualTo(content);
      } finally {
        javax.net.ssl.SSLContext.setDefault(previous);
      }
    }
  }
}
