package io.tfgw.storage.s3;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StoredChecksums;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Amazon S3 and S3-compatible stores (MinIO, Ceph, S3Proxy) through the AWS SDK for Java v2.
 *
 * <ul>
 *   <li>Reads are ranged GETs: {@link RandomAccessInput#readFully} fetches exactly the bytes asked for, and
 *       {@link RandomAccessInput#stream} is one GET for the whole range (resumed where it broke on a dropped
 *       connection). Every GET after the first HEAD carries {@code If-Match} with the object's ETag, so an object
 *       replaced while being read fails loudly instead of mixing two versions.</li>
 *   <li>Writes buffer one part; small files are a single PUT at commit, larger ones a multipart upload whose
 *       parts upload in parallel (a bounded number in flight, so memory stays at a few parts) and which is
 *       completed only at commit and aborted on abort or on any failure. Each PUT and part carries a CRC32C
 *       checksum that the store verifies (Content-MD5 on Google Cloud Storage). There is no
 *       temp-object-then-rename: S3 objects appear atomically when the upload completes.</li>
 *   <li>Requests are retried with exponential backoff for throttling, 5xx, I/O errors and timeouts, never for
 *       other 4xx (see {@link S3Settings#newClient()}).</li>
 *   <li>{@link #list} is ListObjectsV2 with paging; keys come back in UTF-8 byte order. Zero-byte "folder"
 *       markers ({@code key/}) are not files and are skipped.</li>
 *   <li>Stores that keep objects as files answer a key below an object with an error instead of 404; such a key
 *       is absent, found without retries (see {@link #find}), and a write there fails naming the object.</li>
 * </ul>
 *
 * <p>{@link #statistics()} counts requests and fetched bytes, so that tests (and {@code --debug}) can show how
 * little a command reads.
 */
public final class S3Storage implements Storage, FileTimes, StoredChecksums, io.tfgw.core.storage.ConditionalWrites,
    io.tfgw.core.storage.ConditionalReads, io.tfgw.core.storage.RequestCounts {
  private final S3Settings settings;
  private final S3Client client;
  private final ExecutorService uploads;
  final AtomicLong bytesFetched = new AtomicLong();
  final AtomicLong getRequests = new AtomicLong();
  final AtomicLong bytesUploaded = new AtomicLong();
  /** Every HTTP attempt the client made (counted by an interceptor, so retries count too). */
  private final AtomicLong requestsSent = new AtomicLong();

  /**
   * Objects this client uploaded whose every request the store answered with the CRC32C it verified, by location:
   * the ETag published and the whole object's CRC32C. Bounded: the oldest are forgotten (their copies are then
   * checked by reading them back).
   */
  private final Map<Location, VerifiedUpload> verifiedUploads = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Location, VerifiedUpload> eldest) {
          return size() > MAX_VERIFIED_UPLOADS;
        }
      });
  private static final int MAX_VERIFIED_UPLOADS = 100_000;

  private record VerifiedUpload(String eTag, int crc32c) {}

  /** Request options: sent once without retries, and sent again with the attempts left after that one. */
  private final AwsRequestOverrideConfiguration sendOnce;
  private final AwsRequestOverrideConfiguration remainingAttempts;

  public S3Storage(S3Settings settings) {
    this.settings = settings;
    this.client = settings.newClient(requestsSent);
    this.sendOnce = withAttempts(1);
    this.remainingAttempts = withAttempts(Math.max(1, settings.maxAttempts() - 1));
    AtomicInteger n = new AtomicInteger();
    this.uploads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "tfgw-s3-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** A request option that replaces the client's retry strategy by one with {@code attempts} attempts. */
  private static AwsRequestOverrideConfiguration withAttempts(int attempts) {
    RetryStrategy strategy = S3Settings.retryStrategy(attempts);
    return AwsRequestOverrideConfiguration.builder().addPlugin(config -> config.overrideConfiguration(
        config.overrideConfiguration().toBuilder().retryStrategy(strategy).build())).build();
  }

  /** What this backend has transferred so far. */
  public record Statistics(long getRequests, long bytesFetched, long bytesUploaded) {}

  public Statistics statistics() {
    return new Statistics(getRequests.get(), bytesFetched.get(), bytesUploaded.get());
  }

  S3Client client() {
    return client;
  }

  S3Settings settings() {
    return settings;
  }

  ExecutorService uploads() {
    return uploads;
  }

  @Override
  public InputFile inputFile(Location location) {
    return new InputFile() {
      private HeadObjectResponse head;

      @Override
      public Location location() {
        return location;
      }

      private HeadObjectResponse head() {
        if (head == null) {
          head = S3Storage.this.head(location);
        }
        return head;
      }

      @Override
      public long length() {
        return head().contentLength();
      }

      @Override
      public boolean exists() {
        return S3Storage.this.exists(location);
      }

      @Override
      public RandomAccessInput open() {
        HeadObjectResponse h = S3Storage.this.head(location);
        return new S3Input(S3Storage.this, location, h.contentLength(), h.eTag());
      }
    };
  }

  HeadObjectResponse head(Location location) {
    return find(location).orElseThrow(() -> new LocationNotFoundException(location, "No such file: " + location));
  }

  /**
   * The object's metadata, or empty when there is no object at the location.
   *
   * <p>Stores that keep objects as files (S3Proxy's filesystem and in-memory stores, other self-hosted stores) cannot look up a
   * key below a key that is an object ({@code run/model.ckpt/checkpoint} when {@code run/model.ckpt} is a V1
   * checkpoint): that is a path through a file, which they answer with an error (S3Proxy: HTTP 500) instead of 404.
   * So the HEAD is sent once first, and such an error, repeated, for a key below an object means "no such object"
   * at once, rather than after the retries with backoff that an error earns. Every other failure goes on with the remaining
   * attempts, so a server error anywhere else is retried and reported as for any request.
   */
  private Optional<HeadObjectResponse> find(Location location) {
    requireKey(location);
    return unlessAbsent(location, "read", S3Errors::isNoSuchKey, attempts -> headObject(location, attempts));
  }

  /**
   * Sends a request about the object at {@code location} once, then, unless the answer is that there is no such
   * object (by {@code absent}, or an error for a key below an object), with the remaining attempts. Empty when
   * there is no such object.
   */
  private <T> Optional<T> unlessAbsent(Location location, String action, Predicate<SdkException> absent,
      Function<AwsRequestOverrideConfiguration, T> request) {
    try {
      return Optional.of(request.apply(sendOnce));
    } catch (SdkException e) {
      if (absent.test(e)) {
        return Optional.empty();
      }
      if (S3Errors.mayBeBelowAnObject(e) && objectAbove(location).isPresent()) {
        // a store that keeps objects as files gives this answer for the key every time; asked once more, it tells
        // that apart from a passing server error on a store where a key and keys below it can all be objects (S3)
        try {
          return Optional.of(request.apply(sendOnce));
        } catch (SdkException again) {
          if (absent.test(again) || S3Errors.mayBeBelowAnObject(again)) {
            return Optional.empty();
          }
        }
      }
      if (settings.maxAttempts() == 1) {
        throw S3Errors.of(action, location, e, settings);
      }
    }
    try {
      return Optional.of(request.apply(remainingAttempts));
    } catch (SdkException e) {
      if (absent.test(e)) {
        return Optional.empty();
      }
      throw S3Errors.of(action, location, e, settings, 1);
    }
  }

  private HeadObjectResponse headObject(Location location, AwsRequestOverrideConfiguration attempts) {
    return client.headObject(b -> b.bucket(location.authority()).key(location.path()).overrideConfiguration(attempts));
  }

  /**
   * The nearest key above {@code location} that is an object, if any. Each key is asked once, from the nearest up:
   * a store that keeps objects as files answers 404 for a directory and the same error again for the keys between
   * the location and the object; any other failure ends the search with nothing found.
   */
  Optional<Location> objectAbove(Location location) {
    for (Location above = location.parent(); !above.isRoot(); above = above.parent()) {
      try {
        headObject(above, sendOnce);
        return Optional.of(above);
      } catch (SdkException e) {
        if (!S3Errors.isNoSuchKey(e) && !S3Errors.mayBeBelowAnObject(e)) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The error for a write that failed; it names the object in the way when the store refused a key below one
   * (answering with an error, or closing the connection while the body is still being sent).
   */
  StorageException writeFailure(Location location, SdkException e) {
    boolean mayBeBelowAnObject = e instanceof S3Exception ? S3Errors.mayBeBelowAnObject(e) : S3Errors.unreachable(e) == null;
    Optional<Location> file = mayBeBelowAnObject ? objectAbove(location) : Optional.empty();
    if (file.isPresent()) {
      return new StorageException("Cannot write " + location + ": " + file.get() + " is a file (an object), and this "
          + "store keeps objects as files, so nothing can be written below it. Choose a location that is not inside "
          + file.get().fileName() + ", or delete that object first.", e);
    }
    return S3Errors.of("write", location, e, settings);
  }

  private static void requireKey(Location location) {
    if (location.path().isEmpty()) {
      throw new StorageException(location + " is a bucket, not a file: name a key inside it");
    }
  }

  @Override
  public OutputFile outputFile(Location location) {
    requireKey(location);
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        return new S3Output(S3Storage.this, location, null);
      }
    };
  }

  @Override
  public long requestsSent() {
    return requestsSent.get();
  }

  /**
   * One GET with {@code If-None-Match: "etag"}: the store answers 304 (no body) while the object is unchanged, so
   * polling a manifest costs one small request. Retried as any request; 404 means absent.
   */
  @Override
  public io.tfgw.core.storage.ConditionalReads.Read readIfChanged(Location file, Optional<String> known) {
    requireKey(file);
    try {
      var response = client.getObjectAsBytes(b -> {
        b.bucket(file.authority()).key(file.path());
        known.ifPresent(b::ifNoneMatch);
      });
      getRequests.incrementAndGet();
      bytesFetched.addAndGet(response.asByteArray().length);
      return io.tfgw.core.storage.ConditionalReads.Read.changed(response.response().eTag(), response.asByteArray());
    } catch (S3Exception e) {
      if (e.statusCode() == 304 && known.isPresent()) {
        return io.tfgw.core.storage.ConditionalReads.Read.unchanged(known.get());
      }
      if (S3Errors.isNoSuchKey(e)) {
        return io.tfgw.core.storage.ConditionalReads.Read.absent();
      }
      throw S3Errors.of("read", file, e, settings);
    } catch (SdkException e) {
      throw S3Errors.of("read", file, e, settings);
    }
  }

  /** Set when the store answered a conditional write with 501: from then on writes go unconditionally. */
  volatile boolean conditionalWritesUnsupported;

  /** The object's ETag, which changes with every write; empty when there is no such object. */
  @Override
  public Optional<String> version(Location file) {
    return find(file).map(HeadObjectResponse::eTag);
  }

  /**
   * An upload whose PUT (or CompleteMultipartUpload) carries {@code If-None-Match: *} or {@code If-Match: etag}, so
   * the store itself refuses it (412) when another writer got there first. Stores that do not implement
   * conditional writes and say so (501) get plain writes, as before.
   */
  @Override
  public AtomicOutputStream createIf(Location file, java.util.Optional<String> expected) {
    requireKey(file);
    return new S3Output(this, file, conditionalWritesUnsupported ? null : expected);
  }

  @Override
  public List<FileEntry> list(Location directory) {
    String prefix = directory.path().isEmpty() ? "" : directory.path() + "/";
    List<FileEntry> out = new ArrayList<>();
    try {
      ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(directory.authority()).prefix(prefix).build();
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(request)) {
        for (S3Object o : page.contents()) {
          if (o.key().endsWith("/")) {
            continue; // a console-made "folder" marker, not a file
          }
          out.add(new FileEntry(directory.resolve(o.key().substring(prefix.length())), o.size()));
        }
      }
    } catch (SdkException e) {
      throw S3Errors.of("list", directory, e, settings);
    }
    return out;
  }

  @Override
  public boolean exists(Location location) {
    return !location.path().isEmpty() && find(location).isPresent();
  }

  @Override
  public boolean isDirectory(Location location) {
    String prefix = location.path().isEmpty() ? "" : location.path() + "/";
    try {
      return client.listObjectsV2(b -> b.bucket(location.authority()).prefix(prefix).maxKeys(1)).keyCount() > 0;
    } catch (SdkException e) {
      throw S3Errors.of("list", location, e, settings);
    }
  }

  @Override
  public void delete(Location location) {
    requireKey(location);
    verifiedUploads.remove(location);
    unlessAbsent(location, "delete", S3Errors::isNotFound, attempts -> client.deleteObject(b -> b
        .bucket(location.authority()).key(location.path()).overrideConfiguration(attempts)));
  }

  /**
   * Records that the object now at {@code location} (ETag {@code eTag}) arrived with every request's CRC32C
   * verified by the store, and that its content's CRC32C is {@code crc32c}.
   */
  void verifiedOnArrival(Location location, String eTag, int crc32c) {
    if (eTag != null) {
      verifiedUploads.put(location, new VerifiedUpload(eTag, crc32c));
    } else {
      verifiedUploads.remove(location);
    }
  }

  @Override
  public Optional<Instant> lastModified(Location location) {
    return Optional.ofNullable(head(location).lastModified());
  }

  /**
   * The CRC32C S3 stored for the whole object: present for objects uploaded in one PUT with a CRC32C, and for
   * multipart uploads only with a full-object checksum (composite checksums of parts are not the file's CRC).
   * Where the store returns none (S3's multipart uploads, S3Proxy), an object this client uploaded and the store
   * verified on arrival, part by part, is answered from that upload, as long as the object still has the ETag it
   * was published with.
   */
  @Override
  public OptionalInt crc32c(Location location) {
    HeadObjectResponse h;
    try {
      h = client.headObject(b -> {
        b.bucket(location.authority()).key(location.path());
        if (!settings.googleCloudStorage()) {
          b.checksumMode(ChecksumMode.ENABLED);
        }
      });
    } catch (SdkException e) {
      throw S3Errors.of("read", location, e, settings);
    }
    if (settings.googleCloudStorage()) {
      return googleCrc32c(h);
    }
    String value = h.checksumCRC32C();
    if (value == null || value.contains("-") || h.checksumType() == ChecksumType.COMPOSITE) {
      VerifiedUpload upload = verifiedUploads.get(location);
      return upload != null && upload.eTag().equals(h.eTag()) ? OptionalInt.of(upload.crc32c()) : OptionalInt.empty();
    }
    byte[] b = Base64.getDecoder().decode(value);
    if (b.length != 4) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
  }

  /**
   * On Google Cloud Storage, {@link io.tfgw.core.storage.ConditionalWrites} are not offered: its XML API ignores
   * {@code If-None-Match}/{@code If-Match} on uploads and takes no preconditions on multipart completion, so tfgw
   * cannot make the store refuse a lost race; writes there are plain (the last commit wins).
   */
  @Override
  public <T> Optional<T> capability(Class<T> type, Location location) {
    if (settings.googleCloudStorage() && type == io.tfgw.core.storage.ConditionalWrites.class) {
      return Optional.empty();
    }
    return Storage.super.capability(type, location);
  }

  /**
   * Google Cloud Storage keeps the CRC32C of every object, multipart ones included, and returns it in
   * {@code x-goog-hash: crc32c=BASE64} (beside {@code md5=} for single uploads).
   */
  private static OptionalInt googleCrc32c(HeadObjectResponse h) {
    for (String header : h.sdkHttpResponse().matchingHeaders("x-goog-hash")) {
      for (String part : header.split(",")) {
        String p = part.trim();
        if (p.startsWith("crc32c=")) {
          byte[] b;
          try {
            b = Base64.getDecoder().decode(p.substring("crc32c=".length()));
          } catch (IllegalArgumentException e) {
            return OptionalInt.empty(); // not a checksum: read back instead
          }
          if (b.length == 4) {
            return OptionalInt.of(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
          }
        }
      }
    }
    return OptionalInt.empty();
  }

  @Override
  public void close() {
    uploads.shutdownNow();
    client.close();
  }
}
