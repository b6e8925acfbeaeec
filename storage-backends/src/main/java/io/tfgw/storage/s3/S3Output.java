package io.tfgw.storage.s3;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConcurrentWriteException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.zip.CRC32C;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One object being written. Bytes collect in a buffer of one part; a file that fits is uploaded with a single PUT
 * at {@link #commit()}. A larger one becomes a multipart upload: each full buffer is handed to an upload thread
 * (at most {@code uploadParallelism} parts in flight, so memory is bounded by a few parts), and the upload is
 * completed at commit, which is when the object appears. {@link #abort()}, or any failed part, aborts the multipart
 * upload so that no parts linger (and bill) on the bucket.
 *
 * <p>Integrity: every PUT and part carries one checksum the store verifies before it accepts the bytes, the
 * CRC32C ({@code x-amz-checksum-crc32c}, hardware-accelerated, about 100 times cheaper than MD5), or Content-MD5
 * on Google Cloud Storage, which takes no other. When the store answered every request with the CRC32C it checked
 * (S3 and S3Proxy echo it), the whole object's CRC32C (combined from the parts') is handed to
 * {@link S3Storage#verifiedOnArrival}, so that a copy is checked without reading the object back.
 */
final class S3Output extends AtomicOutputStream {
  private final S3Storage storage;
  private final Location location;
  private final int partSize;
  private final Semaphore inFlight;
  private final List<Future<SentPart>> parts = new ArrayList<>();
  private byte[] buffer = new byte[64 << 10];
  /** Part buffers whose upload has ended, to be filled again. */
  private final java.util.Queue<byte[]> spareBuffers = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private int filled;
  private long position;
  private String uploadId;
  private volatile Throwable failure;
  /** Null: an unconditional write; else the ETag the object must still have (empty: it must not exist). */
  private java.util.Optional<String> expected;

  S3Output(S3Storage storage, Location location, java.util.Optional<String> expected) {
    this.storage = storage;
    this.location = location;
    this.expected = expected;
    this.partSize = storage.settings().partSize();
    this.inFlight = new Semaphore(storage.settings().uploadParallelism());
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    checkFailure();
    while (len > 0) {
      if (filled == partSize) {
        flushPart();
      }
      if (filled == buffer.length) {
        buffer = java.util.Arrays.copyOf(buffer, Math.min(partSize, buffer.length * 2));
      }
      int n = Math.min(len, buffer.length - filled);
      System.arraycopy(b, off, buffer, filled, n);
      filled += n;
      off += n;
      len -= n;
      position += n;
    }
  }

  private void checkFailure() {
    if (failure != null) {
      throw new StorageException("Cannot write " + location + ": an upload of a part failed: " + failure.getMessage(), failure);
    }
  }

  private void flushPart() {
    if (uploadId == null) {
      try {
        uploadId = storage.client().createMultipartUpload(b -> {
          b.bucket(location.authority()).key(location.path());
          if (withChecksums()) {
            b.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
          }
        }).uploadId();
      } catch (SdkException e) {
        throw storage.writeFailure(location, e);
      }
    }
    byte[] data = buffer;
    int length = filled;
    int partNumber = parts.size() + 1;
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while writing " + location);
    }
    checkFailure();
    parts.add(storage.uploads().submit(() -> {
      try {
        return uploadPart(partNumber, data, length);
      } catch (Throwable t) {
        failure = t;
        throw t;
      } finally {
        spareBuffers.offer(data);
        inFlight.release();
      }
    }));
    // the buffer of a part already sent, if any: a large file reuses the same few buffers instead of allocating
    // (and the VM first touching) a new one per part
    byte[] spare = spareBuffers.poll();
    buffer = spare != null ? spare : new byte[partSize];
    filled = 0;
  }

  /** A part the store accepted, with its CRC32C and whether the store said it verified that checksum. */
  private record SentPart(CompletedPart part, int crc32c, int length, boolean verifiedByStore) {}

  private SentPart uploadPart(int partNumber, byte[] data, int length) {
    int crc = crc32c(data, length);
    String crcText = base64(crc);
    var response = storage.client().uploadPart(b -> {
      b.bucket(location.authority()).key(location.path()).uploadId(uploadId).partNumber(partNumber)
          .contentLength((long) length);
      if (withChecksums()) {
        b.checksumCRC32C(crcText);
      } else {
        b.contentMD5(md5(data, length));
      }
    }, body(data, length));
    storage.bytesUploaded.addAndGet(length);
    CompletedPart.Builder part = CompletedPart.builder().partNumber(partNumber).eTag(response.eTag());
    return new SentPart((withChecksums() ? part.checksumCRC32C(crcText) : part).build(), crc, length,
        withChecksums() && crcText.equals(response.checksumCRC32C()));
  }

  /**
   * The request body over the part buffer itself: {@link RequestBody#fromByteBuffer} would copy the part first. A
   * retry asks for a new stream, which starts again at the first byte.
   */
  private static RequestBody body(byte[] data, int length) {
    return RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(data, 0, length), length,
        "application/octet-stream");
  }

  @Override
  protected void doCommit() {
    try {
      checkFailure();
      if (uploadId == null) {
        putWhole();
        return;
      }
      if (filled > 0) {
        flushPart();
      }
      List<CompletedPart> done = new ArrayList<>();
      boolean verified = true;
      int crc = 0;
      for (Future<SentPart> f : parts) {
        SentPart p = f.get();
        done.add(p.part());
        verified &= p.verifiedByStore();
        crc = Crc32cCombination.combine(crc, p.crc32c(), p.length());
      }
      String etag = multipartETag(done);
      String published = conditionally(etag, () -> storage.client().completeMultipartUpload(b -> {
        b.bucket(location.authority()).key(location.path()).uploadId(uploadId).multipartUpload(m -> m.parts(done));
        condition(b::ifMatch, b::ifNoneMatch);
      }).eTag());
      if (verified) {
        storage.verifiedOnArrival(location, published, crc);
      }
    } catch (ConcurrentWriteException e) {
      abortUpload();
      throw e;
    } catch (ExecutionException e) {
      abortUpload();
      Throwable cause = e.getCause();
      throw cause instanceof SdkException s ? storage.writeFailure(location, s)
          : new StorageException("Cannot write " + location + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      abortUpload();
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while writing " + location);
    } catch (SdkException e) {
      abortUpload();
      throw storage.writeFailure(location, e);
    } catch (RuntimeException e) {
      abortUpload();
      throw e;
    } finally {
      buffer = null;
    }
  }

  private void putWhole() {
    byte[] data = buffer;
    int length = filled;
    // MD5 only where it is needed: GCS's integrity check, or the ETag that tells our own retried write from another
    // writer's on a conditional write
    String md5 = withChecksums() && expected == null ? null : md5(data, length);
    int crc = crc32c(data, length);
    String crcText = base64(crc);
    String etag = md5 == null ? "(unknown)" : "\"" + java.util.HexFormat.of().formatHex(Base64.getDecoder().decode(md5)) + "\"";
    boolean[] verified = new boolean[1];
    String published = conditionally(etag, () -> {
      var response = storage.client().putObject(b -> {
        b.bucket(location.authority()).key(location.path()).contentLength((long) length);
        if (withChecksums()) {
          b.checksumCRC32C(crcText);
        } else {
          b.contentMD5(md5);
        }
        condition(b::ifMatch, b::ifNoneMatch);
      }, body(data, length));
      verified[0] = withChecksums() && crcText.equals(response.checksumCRC32C());
      return response.eTag();
    });
    storage.bytesUploaded.addAndGet(length);
    if (verified[0]) {
      storage.verifiedOnArrival(location, published, crc);
    }
  }

  private void condition(java.util.function.Consumer<String> ifMatch, java.util.function.Consumer<String> ifNoneMatch) {
    if (expected != null) {
      if (expected.isPresent()) {
        ifMatch.accept(expected.get());
      } else {
        ifNoneMatch.accept("*");
      }
    }
  }

  /**
   * Runs the publishing request; 412 (the precondition failed) or 409 (a conflicting conditional write in flight)
   * means another writer won. A store that does not implement conditional writes (501) gets the request again
   * without the condition. Returns the ETag of the object published.
   */
  private String conditionally(String ourETag, java.util.function.Supplier<String> request) {
    try {
      return request.get();
    } catch (S3Exception e) {
      if (expected != null && (e.statusCode() == 412 || e.statusCode() == 409)) {
        if (isThere(ourETag)) {
          return ourETag; // a retry of our own request that had succeeded before its answer got lost
        }
        throw new ConcurrentWriteException(location);
      }
      if (expected != null && e.statusCode() == 501) {
        storage.conditionalWritesUnsupported = true;
        expected = null;
        return request.get();
      }
      throw e;
    } catch (SdkClientException e) {
      // A store may answer a failed precondition (412) before it reads the body and close the connection; the
      // JDK's HTTP client then reports only that it could not write the body. Ask the store what is there now.
      if (expected != null && !storage.conditionalWritesUnsupported) {
        String now = currentETag();
        if (ourETag.equals(now)) {
          return ourETag;
        }
        if (expected.isPresent() ? !expected.get().equals(now) : now != null) {
          throw new ConcurrentWriteException(location);
        }
      }
      throw e;
    }
  }

  /** The ETag of the object at the location now, or null when there is none (or the store cannot say). */
  private String currentETag() {
    try {
      return storage.client().headObject(b -> b.bucket(location.authority()).key(location.path())).eTag();
    } catch (SdkException e) {
      return null;
    }
  }

  /** Whether the object now at the location is the one this output sent (same ETag: same bytes, same parts). */
  private boolean isThere(String etag) {
    try {
      return etag.equals(storage.client().headObject(b -> b.bucket(location.authority()).key(location.path())).eTag());
    } catch (SdkException e) {
      return false;
    }
  }

  /** S3's ETag of a completed multipart upload: the MD5 of the parts' binary MD5s, then "-" and the part count. */
  private static String multipartETag(List<CompletedPart> parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      for (CompletedPart p : parts) {
        md.update(java.util.HexFormat.of().parseHex(p.eTag().replace("\"", "")));
      }
      return "\"" + java.util.HexFormat.of().formatHex(md.digest()) + "-" + parts.size() + "\"";
    } catch (NoSuchAlgorithmException | IllegalArgumentException | NullPointerException e) {
      return "(unknown)"; // a store with other ETags: a 412 then always means another writer
    }
  }

  @Override
  protected void doAbort() {
    buffer = null;
    abortUpload();
  }

  private void abortUpload() {
    for (Future<SentPart> f : parts) {
      f.cancel(false);
    }
    for (Future<SentPart> f : parts) {
      try {
        f.get(); // let uploads that already started end before the upload is aborted
      } catch (ExecutionException | CancellationException e) {
        // that part failed or never ran
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (uploadId != null) {
      String id = uploadId;
      uploadId = null;
      try {
        storage.client().abortMultipartUpload(b -> b.bucket(location.authority()).key(location.path()).uploadId(id));
      } catch (SdkException e) {
        // best effort: a bucket lifecycle rule for incomplete uploads cleans up what remains
      }
    }
  }

  /** S3's additional CRC32C checksums; Google Cloud Storage's XML API refuses them and gets Content-MD5 only. */
  private boolean withChecksums() {
    return !storage.settings().googleCloudStorage();
  }

  private static String md5(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(data, 0, length);
      return Base64.getEncoder().encodeToString(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int crc32c(byte[] data, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, 0, length);
    return (int) crc.getValue();
  }

  /** A checksum as S3's headers carry it: the big-endian bytes in base64. */
  private static String base64(int checksum) {
    return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt(checksum).array());
  }
}
