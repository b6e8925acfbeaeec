package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 backend on a store that keeps objects as files (S3Proxy's filesystem store), where a key below an object
 * is a path through a file and is answered with HTTP 500: such a key is absent, found out without retries, while
 * a server error for any other key is still retried and reported.
 */
class S3ObjectsAsFilesTest {
  private static final int ATTEMPTS = 3;
  @TempDir static Path baseDirectory;
  private static S3TestServer server;
  private static Heads heads;
  private static S3Storage storage;

  /**
   * Counts HEADs per key, answers HEADs of chosen keys with a server error (500 InternalError), and others with the
   * metadata of another key (an object where this store cannot have one).
   */
  static final class Heads extends ForwardingBlobStore {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    final Map<String, String> answerAs = new ConcurrentHashMap<>();

    Heads(BlobStore delegate) {
      super(delegate);
    }

    int calls(String key) {
      return calls.computeIfAbsent(key, k -> new AtomicInteger()).get();
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
      calls.computeIfAbsent(request.key(), k -> new AtomicInteger()).incrementAndGet();
      AtomicInteger left = failuresLeft.get(request.key());
      if (left != null && left.getAndDecrement() > 0) {
        throw S3Exception.builder().statusCode(500).awsErrorDetails(AwsErrorDetails.builder()
            .errorCode("InternalError").errorMessage("injected failure").build()).message("injected failure").build();
      }
      String other = answerAs.get(request.key());
      return super.blobMetadata(other == null ? request : request.toBuilder().key(other).build());
    }
  }

  @BeforeAll
  static void start() {
    server = S3TestServer.startOnFilesystem(baseDirectory, b -> heads = new Heads(b));
    server.createBucket("bkt");
    storage = new S3Storage(S3Settings.from(server.options().set("s3.max-attempts", String.valueOf(ATTEMPTS)).build()));
    storage.outputFile(Location.parse("s3://bkt/run/model.ckpt")).write("V1".getBytes(StandardCharsets.UTF_8));
    storage.outputFile(Location.parse("s3://bkt/run/other/file.bin")).write(new byte[3]);
  }

  @AfterAll
  static void stop() throws Exception {
    storage.close();
    server.close();
  }

  @AfterEach
  void reset() {
    heads.calls.clear();
    heads.failuresLeft.clear();
    heads.answerAs.clear();
  }

  @Test
  void theStoreAnswersAKeyBelowAnObjectWithAServerError() {
    // what the backend has to cope with, asked with the plain SDK
    assertThatThrownBy(() -> server.admin().headObject(b -> b.bucket("bkt").key("run/model.ckpt/checkpoint")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(500));
  }

  @Test
  void aKeyBelowAnObjectIsAbsentWithoutRetries() {
    for (String key : Set.of("run/model.ckpt/checkpoint", "run/model.ckpt/variables/variables.index")) {
      Location loc = Location.parse("s3://bkt/" + key);
      long t0 = System.nanoTime();
      assertThat(storage.exists(loc)).isFalse();
      assertThat(storage.version(loc)).isEmpty();
      assertThatThrownBy(() -> storage.inputFile(loc).length()).isInstanceOf(LocationNotFoundException.class)
          .hasMessageContaining("No such file: " + loc);
      assertThat(heads.calls(key)).as("HEADs of %s: two per question (asked, confirmed), no retries", key)
          .isEqualTo(6);
      assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(2_000);
    }
  }

  @Test
  void aServerErrorForAKeyNotBelowAnObjectIsRetriedAndReported() {
    String key = "run/other/file.bin";
    heads.failuresLeft.put(key, new AtomicInteger(100));
    Location loc = Location.parse("s3://bkt/" + key);
    assertThatThrownBy(() -> storage.exists(loc)).isInstanceOf(StorageException.class)
        .isNotInstanceOf(LocationNotFoundException.class)
        .hasMessageContaining("Cannot read " + loc).hasMessageContaining("HTTP 500");
    assertThat(heads.calls(key)).as("attempts in all, as for every request").isEqualTo(ATTEMPTS);
    assertThat(heads.calls("run/other")).as("the key above was asked once").isEqualTo(1);
  }

  @Test
  void whenNoObjectAboveAnswersTheServerErrorIsReported() {
    // the object above fails once: nothing is known, so the key goes on to its retries, where it is 500 again
    heads.failuresLeft.put("run/model.ckpt", new AtomicInteger(1));
    Location loc = Location.parse("s3://bkt/run/model.ckpt/checkpoint");
    assertThatThrownBy(() -> storage.exists(loc)).isInstanceOf(StorageException.class).hasMessageContaining("HTTP 500");
    assertThat(heads.calls("run/model.ckpt/checkpoint")).isEqualTo(ATTEMPTS);
    assertThat(storage.exists(loc)).as("once the object above answers, the key is absent").isFalse();
  }

  @Test
  void onS3ItselfAPassingServerErrorBelowAnObjectIsNotMistakenForAbsence() {
    // S3 holds run/model.ckpt and run/model.ckpt/x side by side; S3Proxy's stores (filesystem and in-memory alike)
    // cannot, so the store answers for that key with another object's metadata. Its 500 does not repeat: found.
    String key = "run/model.ckpt/x";
    heads.answerAs.put(key, "run/other/file.bin");
    heads.failuresLeft.put(key, new AtomicInteger(1));
    assertThat(storage.exists(Location.parse("s3://bkt/" + key))).isTrue();
    assertThat(heads.calls(key)).isEqualTo(2);
    assertThat(heads.calls("run/model.ckpt")).as("the object above was looked for").isEqualTo(1);
  }

  @Test
  void aTransientServerErrorIsRetried() {
    String key = "run/other/file.bin";
    heads.failuresLeft.put(key, new AtomicInteger(1));
    assertThat(storage.exists(Location.parse("s3://bkt/" + key))).isTrue();
    assertThat(heads.calls(key)).isEqualTo(2);
  }

  @Test
  void writingBelowAnObjectFailsNamingTheObject() {
    Location loc = Location.parse("s3://bkt/run/model.ckpt/export/saved_model.pb");
    assertThatThrownBy(() -> storage.outputFile(loc).write(new byte[10])).isInstanceOf(StorageException.class)
        .hasMessageContaining("Cannot write " + loc)
        .hasMessageContaining("s3://bkt/run/model.ckpt is a file (an object)");
    assertThat(storage.list(Location.parse("s3://bkt/run"))).extracting(f -> f.location().toString())
        .containsExactly("s3://bkt/run/model.ckpt", "s3://bkt/run/other/file.bin");
  }
}
