package io.tfgw.serve;

import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StoredChecksums;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A file as the store holds it. The ETag is strong when the store keeps a CRC32C of the content (S3 with
 * checksums, HDFS), otherwise weak from length and modification time (a local disk).
 */
final class StoredBlob implements Blob {
  private final Storage storage;
  private final Location location;
  private final long length;
  private final String etag;

  StoredBlob(Storage storage, Location location, long length) {
    this.storage = storage;
    this.location = location;
    this.length = length;
    this.etag = etagOf(storage, location, length);
  }

  static String etagOf(Storage storage, Location location, long length) {
    Optional<StoredChecksums> sums = storage.capability(StoredChecksums.class, location);
    if (sums.isPresent()) {
      OptionalInt crc = sums.get().crc32c(location);
      if (crc.isPresent()) {
        return String.format("\"crc32c-%08x-%d\"", crc.getAsInt(), length);
      }
    }
    Optional<FileTimes> times = storage.capability(FileTimes.class, location);
    long millis = times.flatMap(t -> t.lastModified(location)).map(java.time.Instant::toEpochMilli).orElse(0L);
    return "W/\"" + length + "-" + Long.toHexString(millis) + "\"";
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public String etag() {
    return etag;
  }

  @Override
  public String contentType() {
    return Blob.contentTypeOf(location.fileName());
  }

  @Override
  public void copy(long position, long count, OutputStream out) throws IOException {
    try (RandomAccessInput input = storage.inputFile(location).open();
        InputStream in = input.stream(position, count)) {
      in.transferTo(out);
    }
  }
}
