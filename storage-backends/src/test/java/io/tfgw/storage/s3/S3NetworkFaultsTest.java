package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import io.tfgw.storage.s3.FaultProxy.Direction;
import io.tfgw.storage.s3.FaultProxy.Fault;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The S3 backend behind a proxy that resets and stalls connections: transient faults are retried or resumed and
 * the bytes arrive intact; a server that never recovers costs a bounded time, gives a clear error, and leaves
 * neither an object nor an open multipart upload behind.
 */
class S3NetworkFaultsTest {
  private static final int ATTEMPTS = 3;
  private static final int TIMEOUT_MS = 1000;
  private static S3TestServer server;
  private FaultProxy proxy;
  private S3Storage storage;

  @BeforeAll
  static void start() {
    server = S3TestServer.start();
    server.createBucket("net");
  }

  /**
   * A new proxy (a new port) per test, so no pooled keep-alive connection from another test slips past the
   * policy: connection numbers count from 0 in each test.
   */
  @BeforeEach
  void connect() {
    proxy = FaultProxy.inFrontOf(server.endpoint());
    storage = new S3Storage(S3Settings.from(server.options()
        .set("s3.endpoint", proxy.endpoint().toString())
        .set("s3.part-size", String.valueOf(5 << 20))
        .set("s3.max-attempts", String.valueOf(ATTEMPTS))
        .set("s3.socket-timeout-ms", String.valueOf(TIMEOUT_MS))
        .build()));
  }

  @AfterEach
  void disconnect() {
    storage.close();
    proxy.close();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] stored(Location loc) {
    return server.admin().getObjectAsBytes(b -> b.bucket(loc.authority()).key(loc.path())).asByteArray();
  }

  private static void assertNothingLeft(Location loc) {
    assertThat(server.admin().listObjectsV2(b -> b.bucket(loc.authority()).prefix(loc.path())).contents()).isEmpty();
    assertThat(server.admin().listMultipartUploads(b -> b.bucket(loc.authority())).uploads()).isEmpty();
  }

  @Test
  void connectionsResetDuringAMultipartUploadAreRetried() throws Exception {
    Location loc = Location.parse("s3://net/upload/reset.bin");
    byte[] content = random(13 << 20, 1);
    proxy.policy(n -> n < 3 ? Fault.reset(Direction.UPSTREAM, 300_000) : Fault.NONE);
    try (AtomicOutputStream out = storage.outputFile(loc).create()) {
      out.write(content);
      out.commit();
    }
    assertThat(proxy.faults()).as("connections reset mid-upload").isGreaterThanOrEqualTo(1);
    assertThat(stored(loc)).isEqualTo(content);
    assertThat(server.admin().listMultipartUploads(b -> b.bucket("net")).uploads()).isEmpty();
  }

  @Test
  void aStalledResponseIsRetriedAfterTheSocketTimeout() throws Exception {
    Location loc = Location.parse("s3://net/upload/stall-once.bin");
    byte[] content = random(100_000, 2);
    // the first connection delivers the request and then goes silent: no response ever comes
    proxy.policy(n -> n == 0 ? Fault.stall(Direction.DOWNSTREAM, 0) : Fault.NONE);
    storage.outputFile(loc).write(content);
    assertThat(stored(loc)).isEqualTo(content);
  }

  @Test
  void readsThatBreakMidStreamResumeWhereTheyStopped() {
    Location loc = Location.parse("s3://net/read/data.bin");
    byte[] content = random(3 << 20, 3);
    server.admin().putObject(b -> b.bucket("net").key(loc.path()), RequestBody.fromBytes(content));
    proxy.policy(n -> n == 0 ? Fault.reset(Direction.DOWNSTREAM, 1 << 20)
        : n == 1 ? Fault.stall(Direction.DOWNSTREAM, 600_000) : Fault.NONE);
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      byte[] back = new byte[content.length];
      in.readFully(0, back, 0, back.length);
      assertThat(back).isEqualTo(content);
      assertThat(proxy.faults()).isEqualTo(2);
    }
  }

  @Test
  void aServerThatStallsEveryUploadFailsInBoundedTimeAndLeavesNothing() {
    Location loc = Location.parse("s3://net/upload/never.bin");
    // small requests (create, abort) get through; every part upload stalls after its first megabyte
    proxy.policy(n -> Fault.stall(Direction.UPSTREAM, 1 << 20));
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> {
      try (AtomicOutputStream out = storage.outputFile(loc).create()) {
        out.write(random(11 << 20, 4));
        out.commit();
      }
    }).isInstanceOf(StorageException.class).hasMessageContaining(loc.toString());
    double seconds = (System.nanoTime() - t0) / 1e9;
    // each part: ATTEMPTS socket timeouts plus backoff; parts run in parallel
    assertThat(seconds).isLessThan(30);
    proxy.policy(n -> Fault.NONE);
    assertNothingLeft(loc);
  }

  @Test
  void aServerThatResetsEveryReadFailsWithAClearError() {
    Location loc = Location.parse("s3://net/read/unreachable.bin");
    server.admin().putObject(b -> b.bucket("net").key(loc.path()), RequestBody.fromBytes(random(500_000, 5)));
    proxy.policy(n -> Fault.reset(Direction.DOWNSTREAM, 1000)); // the HEAD's answer fits; no body gets through
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> in.readFully(0, new byte[500_000], 0, 500_000))
          .isInstanceOf(StorageException.class).hasMessageContaining(loc.toString()).hasMessageContaining("offset");
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
    }
  }
}
