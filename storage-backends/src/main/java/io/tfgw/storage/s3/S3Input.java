package io.tfgw.storage.s3;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Positional reads of one S3 object by ranged GETs, pinned to the ETag seen when it was opened. Thread-safe: each
 * read is its own request.
 */
final class S3Input implements RandomAccessInput {
  /** A stream that breaks mid-way is resumed from where it stopped at most this many times. */
  private static final int RESUMES = 3;

  private final S3Storage storage;
  private final Location location;
  private final long length;
  private final String eTag;

  S3Input(S3Storage storage, Location location, long length, String eTag) {
    this.storage = storage;
    this.location = location;
    this.length = length;
    this.eTag = eTag;
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

  private ResponseInputStream<GetObjectResponse> get(long position, long len) {
    storage.getRequests.incrementAndGet();
    try {
      return storage.client().getObject(b -> {
        b.bucket(location.authority()).key(location.path()).range("bytes=" + position + "-" + (position + len - 1));
        if (eTag != null) {
          b.ifMatch(eTag);
        }
      });
    } catch (SdkException e) {
      throw S3Errors.of("read", location, e, storage.settings());
    }
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int len) {
    checkRange(position, len);
    if (len == 0) {
      return;
    }
    try (InputStream in = stream(position, len)) {
      int done = 0;
      while (done < len) {
        int n = in.read(buffer, offset + done, len - done);
        if (n < 0) {
          throw new StorageException(location + " ended at offset " + (position + done) + " while reading");
        }
        done += n;
      }
    } catch (IOException e) {
      throw new StorageException("Cannot read " + location + " at offset " + position + ": " + e.getMessage(), e);
    }
  }

  /** One GET for the whole range; a connection that drops is resumed from the current position. */
  @Override
  public InputStream stream(long position, long len) {
    checkRange(position, len);
    return new RangeStream(position, len);
  }

  @Override
  public void close() {}

  private final class RangeStream extends InputStream {
    private final long end;
    private long position;
    private ResponseInputStream<GetObjectResponse> current;
    private int resumes;

    RangeStream(long position, long len) {
      this.position = position;
      this.end = position + len;
    }

    private InputStream current() {
      if (current == null && position < end) {
        current = get(position, end - position);
      }
      return current;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (true) {
        InputStream in = current();
        if (in == null) {
          return -1;
        }
        int want = (int) Math.min(len, end - position);
        try {
          int n = in.read(b, off, want);
          if (n < 0) {
            throw new IOException("the connection closed " + (end - position) + " bytes early");
          }
          position += n;
          storage.bytesFetched.addAndGet(n);
          if (position == end) {
            closeCurrent(false);
          }
          return n;
        } catch (IOException | SdkException e) {
          closeCurrent(true);
          if (++resumes > RESUMES) {
            throw new StorageException("Cannot read " + location + " at offset " + position + ": " + e.getMessage(), e);
          }
        }
      }
    }

    @Override
    public long skip(long n) {
      long k = Math.max(0, Math.min(n, end - position));
      if (k > 0) {
        closeCurrent(true); // the next read starts a new range there
        position += k;
      }
      return k;
    }

    private void closeCurrent(boolean abort) {
      if (current != null) {
        if (abort) {
          current.abort(); // do not drain the rest of the range just to reuse the connection
        }
        try {
          current.close();
        } catch (IOException | RuntimeException ignored) {
          // the request is done with either way
        }
        current = null;
      }
    }

    @Override
    public void close() {
      closeCurrent(position < end);
      position = end;
    }
  }
}
