package io.tfgw.storage.http;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Positional reads of one file on a web server: a Range GET per read, pinned by {@code If-Range} to the version
 * seen at open (the strong ETag, else the Last-Modified date). Thread-safe: each read is its own request.
 *
 * <p>A response is checked before its bytes are used: a 206 must cover exactly the range asked for, of a file of
 * the opened length and ETag; a 200 means either that the file changed (its validator differs: an error naming
 * the file) or that the server ignores ranges (same validator: the bytes before the range are skipped). A body that
 * breaks mid-way is resumed from the byte it reached, at most {@code http.max-attempts} times.
 */
final class HttpInput implements RandomAccessInput {
  private final HttpFetcher fetcher;
  private final Location location;
  private final HttpStorage.Head head;
  /** Where the file was found after redirects; the original URL again when that stops working. */
  private volatile URI target;

  HttpInput(HttpStorage storage, Location location, HttpStorage.Head head) {
    this.fetcher = storage.fetcher();
    this.location = location;
    this.head = head;
    this.target = head.uri();
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long length() {
    return head.length();
  }

  private void checkRange(long position, long len) {
    if (position < 0 || len < 0 || position + len > head.length()) {
      throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
          + location + " (" + head.length() + " bytes); the file is truncated or corrupt");
    }
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int len) {
    checkRange(position, len);
    int done = 0;
    IOException lastBreak = null;
    int maxAttempts = fetcher.settings().maxAttempts();
    for (int attempt = 1; done < len && attempt <= maxAttempts; attempt++) {
      long from = position + done;
      try (HttpFetcher.Answer a = get(from, len - done)) {
        InputStream body = a.body;
        if (a.status == 200) {
          skipFully(body, from); // a server that ignores ranges sends the whole file
        }
        while (done < len) {
          int n = body.read(buffer, offset + done, len - done);
          if (n < 0) {
            throw new IOException("the response ended early");
          }
          done += n;
        }
      } catch (IOException e) {
        lastBreak = e; // resumed from the byte reached
      }
    }
    if (done < len) {
      throw new StorageException("Cannot read " + location + " at offset " + (position + done) + ": the connection "
          + "broke " + maxAttempts + " times (" + (lastBreak == null ? "" : lastBreak.getMessage()) + ")", lastBreak);
    }
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("the response ended early");
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  /** A GET of {@code [position, position + len)}, checked to be that range of the opened version of the file. */
  private HttpFetcher.Answer get(long position, long len) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Range", "bytes=" + position + "-" + (position + len - 1));
    Optional<String> pin = head.strongETag().or(head::lastModified);
    pin.ifPresent(v -> headers.put("If-Range", v));
    HttpFetcher.Answer a = fetcher.send(location, target, "GET", headers);
    if ((a.status == 401 || a.status == 403 || a.status == 404 || a.status == 410) && !target.equals(HttpStorage.uri(location))) {
      a.close(); // a signed redirect target that expired: ask the original URL again
      target = HttpStorage.uri(location);
      a = fetcher.send(location, target, "GET", headers);
    }
    try {
      check(a, position, len);
      return a;
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  private void check(HttpFetcher.Answer a, long position, long len) {
    Optional<String> eTag = a.header("ETag");
    if (a.status == 206) {
      ContentRange range = ContentRange.parse(a.header("Content-Range").orElse("")).orElse(null);
      boolean sameVersion = sameETag(eTag) && (range == null || range.total() < 0 || range.total() == head.length());
      if (!sameVersion) {
        throw changed(eTag);
      }
      if (range == null || range.first() != position || range.last() != position + len - 1) {
        throw new StorageException("Cannot read " + location + ": the server sent the bytes "
            + a.header("Content-Range").orElse("(no Content-Range)") + " when asked for " + position + "-"
            + (position + len - 1) + "; it does not serve byte ranges correctly");
      }
      return;
    }
    if (a.status == 200) {
      long length = a.header("Content-Length").map(Long::parseLong).orElse(-1L);
      boolean validatorSame = head.strongETag().isPresent() ? sameETag(eTag)
          : head.lastModified().isPresent() ? head.lastModified().equals(a.header("Last-Modified")) : true;
      if (!validatorSame || (length >= 0 && length != head.length())) {
        throw changed(eTag);
      }
      return; // the server ignores Range: the caller skips to the position
    }
    if (a.status == 412 || a.status == 416 || a.status == 404 || a.status == 410) {
      throw changed(eTag);
    }
    throw HttpStorage.statusError("read", location, a.status);
  }

  private boolean sameETag(Optional<String> eTag) {
    if (head.eTag().isEmpty() || eTag.isEmpty()) {
      return true;
    }
    return weak(head.eTag().get()).equals(weak(eTag.get()));
  }

  private static String weak(String eTag) {
    return eTag.startsWith("W/") ? eTag.substring(2) : eTag;
  }

  private StorageException changed(Optional<String> eTag) {
    String was = head.eTag().or(head::lastModified).orElse("length " + head.length());
    return new StorageException(location + " changed on the server while tfgw was reading it (" + was + " when opened"
        + eTag.map(e -> ", " + e + " now").orElse("") + "): the bytes read so far may belong to another version. "
        + "Read it again once it is no longer being replaced.");
  }

  /** Reads the range in chunks of {@code http.chunk-size}, one checked GET each. */
  @Override
  public InputStream stream(long position, long len) {
    checkRange(position, len);
    int chunk = fetcher.settings().chunkSize();
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
        int n = (int) Math.min(chunk, end - next);
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

      @Override
      public int available() {
        return filled - at;
      }
    };
  }

  @Override
  public void close() {}
}
