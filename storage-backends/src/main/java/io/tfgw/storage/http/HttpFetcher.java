package io.tfgw.storage.http;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * Sends one request the way every HTTP read of tfgw is sent: redirects followed by hand (so that a redirect to the
 * same path plus {@code /}, a directory, is seen, and HTTPS is never downgraded to HTTP), retried with exponential
 * backoff and jitter on I/O errors, timeouts, 408, 429 and 5xx (honouring {@code Retry-After}), and with a body
 * that cannot hang: a read that sees no byte for the read timeout fails, and the caller resumes or retries.
 */
final class HttpFetcher implements Closeable {
  private static final Set<Integer> RETRIED = Set.of(408, 429, 500, 502, 503, 504);
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

  private final HttpSettings settings;
  private final HttpClient client;
  private final ScheduledExecutorService watchdog;
  final AtomicLong requests = new AtomicLong();
  final AtomicLong bytesFetched = new AtomicLong();

  HttpFetcher(HttpSettings settings) {
    this.settings = settings;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(settings.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tfgw-http-watchdog");
      t.setDaemon(true);
      return t;
    });
  }

  HttpSettings settings() {
    return settings;
  }

  /**
   * The answer to a request after redirects. {@code directory} tells that a redirect only appended {@code /} to
   * the path: the URL names a directory, not a file. Close it to release the connection.
   */
  static final class Answer implements Closeable {
    final URI uri;
    final int status;
    final HttpHeaders headers;
    final InputStream body;
    final boolean directory;

    Answer(URI uri, int status, HttpHeaders headers, InputStream body, boolean directory) {
      this.uri = uri;
      this.status = status;
      this.headers = headers;
      this.body = body;
      this.directory = directory;
    }

    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException e) {
        // the connection is dropped instead of reused
      }
    }
  }

  /**
   * Sends {@code method} to {@code uri} with {@code headers}, following redirects, with the retries described above.
   * A status that is retried is returned once the attempts are used up; every other status is returned at once.
   */
  Answer send(Location location, URI uri, String method, Map<String, String> headers) {
    IOException lastFailure = null;
    Answer lastAnswer = null;
    for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
      if (attempt > 1) {
        sleep(backoff(attempt, lastAnswer));
      }
      if (lastAnswer != null) {
        lastAnswer.close();
        lastAnswer = null;
      }
      try {
        Answer answer = follow(location, uri, method, headers);
        if (!RETRIED.contains(answer.status)) {
          return answer;
        }
        lastAnswer = answer;
      } catch (IOException e) {
        lastFailure = e;
        if (e instanceof SSLException || e.getCause() instanceof UnresolvedAddressException) {
          break; // neither gets better by asking again
        }
      }
    }
    if (lastAnswer != null) {
      return lastAnswer;
    }
    throw unreachable(location, uri, lastFailure, settings.maxAttempts());
  }

  private Answer follow(Location location, URI start, String method, Map<String, String> headers) throws IOException {
    URI uri = start;
    boolean directory = false;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
          .timeout(settings.readTimeout()).header("User-Agent", "tfgw");
      headers.forEach(b::header);
      requests.incrementAndGet();
      HttpResponse<InputStream> response;
      try {
        response = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream())
            .get(settings.readTimeout().toMillis() + settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("Interrupted while reading " + location);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (TimeoutException e) {
        throw new java.net.http.HttpTimeoutException("no answer within " + settings.readTimeout().toMillis() + " ms");
      }
      int status = response.statusCode();
      if (!REDIRECTS.contains(status)) {
        return new Answer(uri, status, response.headers(), new WatchedStream(response.body()), directory);
      }
      response.body().close();
      Optional<String> target = response.headers().firstValue("Location");
      if (target.isEmpty()) {
        throw new StorageException("Cannot read " + location + ": the server answered " + uri + " with a redirect ("
            + status + ") that names no Location");
      }
      if (hop >= settings.maxRedirects()) {
        throw new StorageException("Cannot read " + location + ": more than " + settings.maxRedirects()
            + " redirects (last to " + target.get() + "); the server redirects in a loop");
      }
      URI next;
      try {
        next = uri.resolve(target.get());
      } catch (IllegalArgumentException e) {
        throw new StorageException("Cannot read " + location + ": the server redirects to an invalid URL '"
            + target.get() + "'");
      }
      if ("https".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
        throw new StorageException("Cannot read " + location + ": the server redirects from HTTPS to " + next
            + ", which tfgw refuses (it would send the request unencrypted)");
      }
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      directory |= !path.endsWith("/") && (path + "/").equals(next.getRawPath())
          && next.getHost() != null && next.getHost().equalsIgnoreCase(uri.getHost());
      uri = next;
    }
  }

  private static long backoff(int attempt, Answer answer) {
    if (answer != null) {
      Optional<String> retryAfter = answer.header("Retry-After");
      if (retryAfter.isPresent() && retryAfter.get().trim().matches("\\d{1,4}")) {
        return Math.min(10_000, Long.parseLong(retryAfter.get().trim()) * 1000);
      }
    }
    long base = Math.min(5_000, 100L << Math.min(10, attempt - 2));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while waiting to retry");
    }
  }

  /** The error for a server that could not be reached (or stopped answering) after {@code attempts} attempts. */
  static StorageException unreachable(Location location, URI uri, IOException e, int attempts) {
    String why;
    if (e instanceof HttpConnectTimeoutException) {
      why = "the server does not answer (connection timed out)";
    } else if (e instanceof ConnectException && e.getCause() instanceof UnresolvedAddressException
        || e != null && e.getCause() instanceof UnresolvedAddressException) {
      why = "unknown host " + uri.getHost();
    } else if (e instanceof ConnectException) {
      why = "the server refuses connections";
    } else if (e instanceof SSLException) {
      why = "the TLS handshake failed (" + e.getMessage() + "); check the certificate or use the right scheme";
    } else if (e instanceof java.net.http.HttpTimeoutException) {
      why = "the server stopped answering (" + e.getMessage() + ")";
    } else {
      why = "the connection failed (" + (e == null ? "unknown" : e.getClass().getSimpleName() + ": " + e.getMessage()) + ")";
    }
    return new StorageException("Cannot read " + location + ": " + why + (attempts > 1 ? " (tried " + attempts + " times)" : "")
        + ". Check the URL and the network.", e);
  }

  /** A response body whose every read fails after the read timeout without a byte, instead of hanging. */
  private final class WatchedStream extends FilterInputStream {
    WatchedStream(InputStream in) {
      super(in);
    }

    private ScheduledFuture<?> arm() {
      return watchdog.schedule(() -> {
        try {
          in.close();
        } catch (IOException ignored) {
          // the blocked read fails either way
        }
      }, settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public int read() throws IOException {
      ScheduledFuture<?> alarm = arm();
      try {
        int b = in.read();
        if (b >= 0) {
          bytesFetched.incrementAndGet();
        }
        return b;
      } finally {
        alarm.cancel(false);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      ScheduledFuture<?> alarm = arm();
      try {
        int n = in.read(b, off, len);
        if (n > 0) {
          bytesFetched.addAndGet(n);
        }
        return n;
      } finally {
        alarm.cancel(false);
      }
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
  }
}
