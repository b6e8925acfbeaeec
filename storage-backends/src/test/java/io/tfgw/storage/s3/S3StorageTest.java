package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.util.Random;
import software.amazon.awssdk.services.s3.S3Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** S3-specific behaviour: ranged reads, multipart uploads and their abort, retries, errors. */
class S3StorageTest {
  private static FaultyBlobStore blobs;
  private static S3TestServer server;
  private static S3Storage storage;

  @BeforeAll
  static void start() {
    server = S3TestServer.start(b -> blobs = new FaultyBlobStore(b));
    server.createBucket("bkt");
    storage = new S3Storage(S3Settings.from(server.options().set("s3.part-size", String.valueOf(5 << 20))
        .set("s3.max-attempts", "3").build()));
  }

  @AfterAll
  static void stop() throws Exception {
    storage.close();
    server.close();
  }

  @AfterEach
  void noFaultsLeft() {
    blobs.failuresLeft.clear();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void positionalReadsFetchOnlyTheirBytes() {
    Location loc = Location.parse("s3://bkt/reads/data.bin");
    byte[] content = random(2 << 20, 1);
    storage.outputFile(loc).write(content);
    S3Storage.Statistics before = storage.statistics();
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      in.readFully(1_000_000, 100);
      in.readTail(48);
    }
    S3Storage.Statistics after = storage.statistics();
    assertThat(after.bytesFetched() - before.bytesFetched()).isEqualTo(148);
    assertThat(after.getRequests() - before.getRequests()).isEqualTo(2);
  }

  @Test
  void singlePutsCarryAChecksumTheStoreKeeps() {
    Location loc = Location.parse("s3://bkt/sums/small.bin");
    byte[] content = random(1000, 2);
    storage.outputFile(loc).write(content);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(content);
    var stored = storage.crc32c(loc);
    assertThat(stored).hasValue((int) crc.getValue());
  }

  @Test
  void multipartUploadsTheStoreVerifiedAreCheckedWithoutReadingThemBack() {
    Location loc = Location.parse("s3://bkt/sums/large.bin");
    byte[] content = random(12 << 20, 6); // three parts of 5 MiB
    storage.outputFile(loc).write(content);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(content);
    S3Storage.Statistics before = storage.statistics();
    assertThat(storage.crc32c(loc)).hasValue((int) crc.getValue());
    assertThat(storage.statistics().bytesFetched()).isEqualTo(before.bytesFetched());

    // the store keeps no checksum of a multipart object: once another client replaced it, there is none to give
    server.admin().putObject(b -> b.bucket("bkt").key("sums/large.bin"),
        software.amazon.awssdk.core.sync.RequestBody.fromBytes(random(12 << 20, 7)));
    assertThat(storage.crc32c(loc)).isEmpty();
  }

  @Test
  void aPartWhoseChecksumDoesNotMatchIsRefusedByTheStore() {
    // the CRC32C the store checks is the one sent: a part whose bytes differ from it does not arrive
    S3Client client = storage.client();
    String id = client.createMultipartUpload(b -> b.bucket("bkt").key("sums/bad.bin")).uploadId();
    assertThatThrownBy(() -> client.uploadPart(b -> b.bucket("bkt").key("sums/bad.bin").uploadId(id).partNumber(1)
        .checksumCRC32C("AAAAAA=="), software.amazon.awssdk.core.sync.RequestBody.fromBytes(random(1000, 8))))
        .isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class);
    client.abortMultipartUpload(b -> b.bucket("bkt").key("sums/bad.bin").uploadId(id));
  }

  @Test
  void serverErrorsAreRetriedWithBackoff() {
    Location loc = Location.parse("s3://bkt/retry/data.bin");
    byte[] content = random(1000, 3);
    storage.outputFile(loc).write(content);
    blobs.failNext("get", 2);
    int before = blobs.calls("get");
    try (RandomAccessInput in = storage.inputFile(loc).open()) {
      assertThat(in.readFully(0, 1000)).isEqualTo(content);
    }
    assertThat(blobs.calls("get") - before).isEqualTo(3);
  }

  @Test
  void clientErrorsAreNotRetried() {
    Location missing = Location.parse("s3://bkt/retry/missing.bin");
    int before = blobs.calls("head");
    assertThatThrownBy(() -> storage.inputFile(missing).length()).isInstanceOf(LocationNotFoundException.class)
        .hasMessageContaining(missing.toString());
    assertThat(blobs.calls("head") - before).isEqualTo(1);
  }

  @Test
  void aFailedPartAbortsTheMultipartUpload() throws Exception {
    Location loc = Location.parse("s3://bkt/multipart/fails.bin");
    blobs.failNext("part", 100); // more than the retries
    assertThatThrownBy(() -> {
      try (AtomicOutputStream out = storage.outputFile(loc).create()) {
        out.write(random(12 << 20, 4));
        out.commit();
      }
    }).isInstanceOf(StorageException.class).hasMessageContaining(loc.toString());
    assertThat(storage.exists(loc)).isFalse();
    assertThat(server.admin().listMultipartUploads(b -> b.bucket("bkt")).uploads()).isEmpty();
  }

  @Test
  void abortDiscardsAStartedMultipartUpload() throws Exception {
    Location loc = Location.parse("s3://bkt/multipart/aborted.bin");
    try (AtomicOutputStream out = storage.outputFile(loc).create()) {
      out.write(random(11 << 20, 5)); // two parts on their way
      assertThat(server.admin().listMultipartUploads(b -> b.bucket("bkt")).uploads()).hasSize(1);
    }
    assertThat(storage.exists(loc)).isFalse();
    assertThat(server.admin().listMultipartUploads(b -> b.bucket("bkt")).uploads()).isEmpty();
  }

  @Test
  void errorsSayWhatToDo() {
    assertThatThrownBy(() -> storage.list(Location.parse("s3://no-such-bucket/x")))
        .isInstanceOf(LocationNotFoundException.class).hasMessageContaining("No such bucket 'no-such-bucket'");
    try (S3Storage wrongKey = new S3Storage(S3Settings.from(server.options().set("s3.secret-access-key", "wrong")
        .set("s3.max-attempts", "1").build()))) {
      assertThatThrownBy(() -> wrongKey.list(Location.parse("s3://bkt/x"))).isInstanceOf(StorageException.class)
          .hasMessageContaining("Access denied").hasMessageContaining("credentials");
    }
    try (S3Storage nowhere = new S3Storage(S3Settings.from(StorageOptions.builder().set("s3.endpoint", "http://127.0.0.1:1")
        .set("s3.path-style", "true").set("s3.access-key-id", "k").set("s3.secret-access-key", "s")
        .set("s3.max-attempts", "1").build()))) {
      assertThatThrownBy(() -> nowhere.exists(Location.parse("s3://bkt/x"))).isInstanceOf(StorageException.class)
          .hasMessageContaining("s3://bkt/x").hasMessageContaining("--endpoint");
    }
    assertThatThrownBy(() -> S3Settings.from(StorageOptions.builder().set("s3.part-size", "1000").build()))
        .hasMessageContaining("at least");
  }
}
