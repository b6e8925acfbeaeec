package io.tfgw.storage.azure;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DownloadRetryOptions;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Positional reads of one blob by ranged GETs, each pinned by {@code If-Match} to the ETag seen at open, so that a
 * blob replaced mid-read fails naming it. Thread-safe: each read is its own request.
 */
final class AzureInput implements RandomAccessInput {
  /** Bytes per request when a whole range is streamed. */
  private static final int CHUNK = 8 << 20;

  private final AzureStorage storage;
  private final Location location;
  private final long length;
  private final String eTag;
  private final BlobClient blob;

  AzureInput(AzureStorage storage, Location location, long length, String eTag) {
    this.storage = storage;
    this.location = location;
    this.length = length;
    this.eTag = eTag;
    this.blob = storage.blob(location, "read");
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long length() {
    return length;
  }

  private void checkRange(long position, long len) {
    if (position < 0 || len < 0 || position + len > length) {
      throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
          + location + " (" + length + " bytes); the file is truncated or corrupt");
    }
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int len) {
    checkRange(position, len);
    if (len == 0) {
      return;
    }
    OutputStream into = new OutputStream() {
      private int at = offset;

      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int n) {
        if (at + n > offset + len) {
          throw new StorageException("Azure sent more bytes than asked for from " + location);
        }
        System.arraycopy(b, off, buffer, at, n);
        at += n;
      }
    };
    storage.getRequests.incrementAndGet();
    try {
      long got = blob.downloadStreamWithResponse(into, new BlobRange(position, (long) len),
          new DownloadRetryOptions().setMaxRetryRequests(3), new BlobRequestConditions().setIfMatch(eTag), false,
          null, Context.NONE).getDeserializedHeaders().getContentLength();
      if (got != len) {
        throw new StorageException("Cannot read " + location + " at offset " + position + ": Azure sent " + got
            + " bytes instead of " + len);
      }
      storage.bytesFetched.addAndGet(len);
    } catch (StorageException e) {
      throw e;
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 412) {
        throw new StorageException(location + " changed while tfgw was reading it (ETag " + eTag + " when opened): "
            + "the bytes read so far may belong to another version. Read it again once it is no longer being written.", e);
      }
      throw AzureErrors.of("read", location, e, storage.settings());
    } catch (RuntimeException e) {
      throw AzureErrors.of("read", location, e, storage.settings());
    }
  }

  /** Reads the range in chunks of 8 MiB, one pinned GET each. */
  @Override
  public InputStream stream(long position, long len) {
    checkRange(position, len);
    return new InputStream() {
      private long next = position;
      private final long end = position + len;
      private byte[] buffer = new byte[0];
      private int at;
      private int filled;

      private boolean fill() {
        if (at < filled) {
          return true;
        }
        if (next >= end) {
          return false;
        }
        int n = (int) Math.min(CHUNK, end - next);
        if (buffer.length < n) {
          buffer = new byte[n];
        }
        readFully(next, buffer, 0, n);
        next += n;
        at = 0;
        filled = n;
        return true;
      }

      @Override
      public int read() {
        return fill() ? buffer[at++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int n) {
        if (n == 0) {
          return 0;
        }
        if (!fill()) {
          return -1;
        }
        int k = Math.min(n, filled - at);
        System.arraycopy(buffer, at, b, off, k);
        at += k;
        return k;
      }
    };
  }

  @Override
  public void close() {}
}
