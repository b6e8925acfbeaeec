package io.tfgw.storage.s3;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StoredChecksums;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
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
 *       completed only at commit and aborted on abort or on any failure. Each PUT and part carries Content-MD5 and
 *       a CRC32C checksum that the store verifies. There is no temp-object-then-rename: S3 objects appear
 *       atomically when the upload completes.</li>
 *   <li>Requests are retried with exponential backoff for throttling, 5xx, I/O errors and timeouts, never for
 *       other 4xx (see {@link S3Settings#newClient()}).</li>
 *   <li>{@link #list} is ListObjectsV2 with paging; keys come back in UTF-8 byte order. Zero-byte "folder"
 *       markers ({@code key/}) are not files and are skipped.</li>
 * </ul>
 *
 * <p>{@link #statistics()} counts requests and fetched bytes, so that tests (and {@code --debug}) can show how
 * little a command reads.
 */
public final class S3Storage implements Storage, FileTimes, StoredChecksums, io.tfgw.core.storage.ConditionalWrites {
  private final S3Settings settings;
  private final S3Client client;
  private final ExecutorService uploads;
  final AtomicLong bytesFetched = new AtomicLong();
  final AtomicLong getRequests = new AtomicLong();
  final AtomicLong bytesUploaded = new AtomicLong();

  public S3Storage(S3Settings settings) {
    this.settings = settings;
    this.client = settings.newClient();
    AtomicInteger n = new AtomicInteger();
    this.uploads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "tfgw-s3-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
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
    requireKey(location);
    try {
      return client.headObject(b -> b.bucket(location.authority()).key(location.path()));
    } catch (SdkException e) {
      throw S3Errors.of("read", location, e, settings);
    }
  }

  private static void requireKey(Location location) {
    if (location.path().isEmpty()) {
      throw new io.tfgw.core.storage.StorageException(location + " is a bucket, not a file: name a key inside it");
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

  /** Set when the store answered a conditional write with 501: from then on writes go unconditionally. */
  volatile boolean conditionalWritesUnsupported;

  /** The object's ETag, which changes with every write; empty when there is no such object. */
  @Override
  public java.util.Optional<String> version(Location file) {
    requireKey(file);
    try {
      return java.util.Optional.ofNullable(client.headObject(b -> b.bucket(file.authority()).key(file.path())).eTag());
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e) && !(e.getMessage() != null && e.getMessage().contains("NoSuchBucket"))) {
        return java.util.Optional.empty();
      }
      throw S3Errors.of("read", file, e, settings);
    }
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
    if (location.path().isEmpty()) {
      return false;
    }
    try {
      client.headObject(b -> b.bucket(location.authority()).key(location.path()));
      return true;
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e) && !(e.getMessage() != null && e.getMessage().contains("NoSuchBucket"))) {
        return false;
      }
      throw S3Errors.of("read", location, e, settings);
    }
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
    try {
      client.deleteObject(b -> b.bucket(location.authority()).key(location.path()));
    } catch (SdkException e) {
      if (!S3Errors.isNotFound(e)) {
        throw S3Errors.of("delete", location, e, settings);
      }
    }
  }

  @Override
  public Optional<Instant> lastModified(Location location) {
    return Optional.ofNullable(head(location).lastModified());
  }

  /**
   * The CRC32C S3 stored for the whole object: present for objects uploaded in one PUT with a CRC32C, and for
   * multipart uploads only with a full-object checksum (composite checksums of parts are not the file's CRC).
   */
  @Override
  public OptionalInt crc32c(Location location) {
    HeadObjectResponse h;
    try {
      h = client.headObject(b -> b.bucket(location.authority()).key(location.path()).checksumMode(ChecksumMode.ENABLED));
    } catch (SdkException e) {
      throw S3Errors.of("read", location, e, settings);
    }
    String value = h.checksumCRC32C();
    if (value == null || value.contains("-") || h.checksumType() == ChecksumType.COMPOSITE) {
      return OptionalInt.empty();
    }
    byte[] b = Base64.getDecoder().decode(value);
    if (b.length != 4) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
  }

  @Override
  public void close() {
    uploads.shutdownNow();
    client.close();
  }
}
