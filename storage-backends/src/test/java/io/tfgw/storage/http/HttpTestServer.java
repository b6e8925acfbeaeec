package io.tfgw.storage.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real web server for tests, in this JVM on 127.0.0.1 and a free port (the JDK's {@code com.sun.net.httpserver}),
 * serving a directory the way nginx serves one: GET and HEAD with single byte ranges and {@code If-Range}, strong
 * ETags and Last-Modified, {@code dir} redirected to {@code dir/}, and a generated index ({@link Index#HTML} like
 * nginx's autoindex, {@link Index#JSON} like {@code autoindex_format json}, or {@link Index#NONE}: 403).
 *
 * <p>Fault injection for the failure tests: answers with an error status for the next requests, bodies cut off
 * half-way, redirects of a path prefix elsewhere, a server that ignores ranges or refuses HEAD. Every request is
 * recorded (method, path, Range) and the body bytes sent are counted.
 */
public final class HttpTestServer implements AutoCloseable {
  public enum Index { HTML, JSON, NONE }

  /** One request as the server saw it. */
  public record Request(String method, String path, String range) {}

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  private final HttpServer server;
  private final Path root;
  private volatile Index index = Index.HTML;
  private volatile boolean ranges = true;
  private volatile boolean head = true;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile int failureStatus = 503;
  private final AtomicInteger breaks = new AtomicInteger();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong bytesSent = new AtomicLong();

  private final boolean tls;

  private HttpTestServer(Path root, javax.net.ssl.SSLContext tlsContext) throws IOException {
    this.root = root.toAbsolutePath();
    this.tls = tlsContext != null;
    if (tlsContext != null) {
      com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tlsContext));
      this.server = https;
    } else {
      this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "http-test-server");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  /** A server for the files below {@code root}. */
  public static HttpTestServer serve(Path root) {
    try {
      return new HttpTestServer(root, null);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the test web server", e);
    }
  }

  /**
   * An HTTPS server for the files below {@code root}, with a self-signed certificate for 127.0.0.1 made by the
   * JDK's keytool in {@code keyDirectory}; clients trust it through {@link TestCertificate#clientContext()}.
   */
  public static HttpTestServer serveTls(Path root, TestCertificate certificate) {
    try {
      return new HttpTestServer(root, certificate.serverContext());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the test web server", e);
    }
  }

  public URI base() {
    return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** The URL of a path below the served directory, as text ({@code http://127.0.0.1:PORT/path}). */
  public String url(String path) {
    return base() + path;
  }

  public Path root() {
    return root;
  }

  public HttpTestServer index(Index mode) {
    this.index = mode;
    return this;
  }

  /** With false, the server ignores Range headers and always sends the whole file (200). */
  public HttpTestServer ranges(boolean supported) {
    this.ranges = supported;
    return this;
  }

  /** With false, HEAD is answered 405 Method Not Allowed. */
  public HttpTestServer head(boolean supported) {
    this.head = supported;
    return this;
  }

  /** The next {@code n} requests are answered with {@code status} and no body. */
  public void failNext(int n, int status) {
    failureStatus = status;
    failures.set(n);
  }

  /** The next {@code n} GETs with a body send half of it and then drop the connection. */
  public void breakNext(int n) {
    breaks.set(n);
  }

  /** Requests for paths starting with {@code fromPrefix} are redirected (302) to {@code toPrefix} + the rest. */
  public void redirect(String fromPrefix, String toPrefix) {
    redirects.put(fromPrefix, toPrefix);
  }

  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  public void resetCounters() {
    requests.clear();
    bytesSent.set(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String rawPath = ex.getRequestURI().getRawPath();
      String path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
      requests.add(new Request(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range")));
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        ex.getResponseHeaders().set("Retry-After", "0");
        ex.sendResponseHeaders(failureStatus, -1);
        return;
      }
      for (Map.Entry<String, String> r : redirects.entrySet()) {
        if (rawPath.startsWith(r.getKey())) {
          ex.getResponseHeaders().set("Location", r.getValue() + rawPath.substring(r.getKey().length()));
          ex.sendResponseHeaders(302, -1);
          return;
        }
      }
      boolean isHead = ex.getRequestMethod().equals("HEAD");
      if (isHead && !head) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      if (!isHead && !ex.getRequestMethod().equals("GET")) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      Path file = root.resolve(path.substring(1)).normalize();
      if (!file.startsWith(root) || !Files.exists(file)) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      if (rawPath.endsWith("/") && !Files.isDirectory(file)) {
        ex.sendResponseHeaders(404, -1); // as nginx: a path through a file does not exist
        return;
      }
      if (Files.isDirectory(file)) {
        directory(ex, rawPath, file, isHead);
        return;
      }
      file(ex, file, isHead);
    }
  }

  private void directory(HttpExchange ex, String rawPath, Path dir, boolean isHead) throws IOException {
    if (!rawPath.endsWith("/")) {
      ex.getResponseHeaders().set("Location", rawPath + "/");
      ex.sendResponseHeaders(301, -1);
      return;
    }
    if (index == Index.NONE) {
      ex.sendResponseHeaders(403, -1);
      return;
    }
    List<Path> children;
    try (Stream<Path> s = Files.list(dir)) {
      children = s.sorted().toList();
    }
    StringBuilder b = new StringBuilder();
    if (index == Index.JSON) {
      b.append("[\n");
      for (int i = 0; i < children.size(); i++) {
        Path c = children.get(i);
        String name = c.getFileName().toString().replace("\\", "\\\\").replace("\"", "\\\"");
        b.append(i > 0 ? ",\n" : "").append("{ \"name\":\"").append(name).append("\", \"type\":\"")
            .append(Files.isDirectory(c) ? "directory\"" : "file\", \"size\":" + Files.size(c)).append(", \"mtime\":\"")
            .append(httpDate(c)).append("\" }");
      }
      b.append("\n]\n");
      ex.getResponseHeaders().set("Content-Type", "application/json");
    } else {
      b.append("<html>\r\n<head><title>Index of ").append(rawPath).append("</title></head>\r\n<body>\r\n<h1>Index of ")
          .append(rawPath).append("</h1><hr><pre><a href=\"../\">../</a>\r\n");
      for (Path c : children) {
        String name = c.getFileName().toString();
        String href = encodeSegment(name).replace("&", "&amp;") + (Files.isDirectory(c) ? "/" : "");
        b.append("<a href=\"").append(href).append("\">").append(name.replace("&", "&amp;").replace("<", "&lt;"))
            .append(Files.isDirectory(c) ? "/" : "").append("</a>   ").append(httpDate(c)).append("   ")
            .append(Files.isDirectory(c) ? "-" : Files.size(c)).append("\r\n");
      }
      b.append("</pre><hr></body>\r\n</html>\r\n");
      ex.getResponseHeaders().set("Content-Type", "text/html");
    }
    byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
    send(ex, 200, body, 0, body.length, isHead);
  }

  /** A name as a relative URL segment, percent-encoded as nginx does (non-ASCII as UTF-8 escapes). */
  private static String encodeSegment(String name) {
    StringBuilder b = new StringBuilder();
    for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~&=+$,;@!*'()".indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        b.append(String.format("%%%02X", c));
      }
    }
    return b.toString();
  }

  private static String httpDate(Path p) throws IOException {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(Files.getLastModifiedTime(p).toInstant().atOffset(ZoneOffset.UTC));
  }

  private static String eTag(Path p) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    long nanos = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    return "\"" + Long.toHexString(a.size()) + "-" + Long.toHexString(nanos) + "-"
        + Integer.toHexString(String.valueOf(a.fileKey()).hashCode()) + "\"";
  }

  private void file(HttpExchange ex, Path file, boolean isHead) throws IOException {
    byte[] content = Files.readAllBytes(file);
    String eTag = eTag(file);
    String lastModified = httpDate(file);
    ex.getResponseHeaders().set("ETag", eTag);
    ex.getResponseHeaders().set("Last-Modified", lastModified);
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    if (ranges) {
      ex.getResponseHeaders().set("Accept-Ranges", "bytes");
    }
    String range = ex.getRequestHeaders().getFirst("Range");
    String ifRange = ex.getRequestHeaders().getFirst("If-Range");
    boolean rangeApplies = ranges && range != null && (ifRange == null || ifRange.equals(eTag) || ifRange.equals(lastModified));
    if (!rangeApplies) {
      send(ex, 200, content, 0, content.length, isHead);
      return;
    }
    Matcher m = RANGE.matcher(range.trim());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      send(ex, 200, content, 0, content.length, isHead);
      return;
    }
    long first;
    long last;
    if (m.group(1).isEmpty()) {
      long suffix = Long.parseLong(m.group(2));
      first = Math.max(0, content.length - suffix);
      last = content.length - 1;
    } else {
      first = Long.parseLong(m.group(1));
      last = m.group(2).isEmpty() ? content.length - 1 : Math.min(Long.parseLong(m.group(2)), content.length - 1);
    }
    if (first >= content.length || first > last) {
      ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
      ex.sendResponseHeaders(416, -1);
      return;
    }
    ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + content.length);
    send(ex, 206, content, (int) first, (int) (last - first + 1), isHead);
  }

  private void send(HttpExchange ex, int status, byte[] content, int offset, int length, boolean isHead) throws IOException {
    if (isHead) {
      ex.getResponseHeaders().set("Content-Length", String.valueOf(length));
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, length == 0 ? -1 : length);
    if (length == 0) {
      return;
    }
    OutputStream out = ex.getResponseBody();
    if (breaks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      int half = Math.max(1, length / 2);
      out.write(content, offset, half);
      out.flush();
      bytesSent.addAndGet(half);
      // drop the connection with the body incomplete: the client sees it end early
      throw new IOException("test server: body cut off after " + half + " of " + length + " bytes");
    }
    out.write(content, offset, length);
    bytesSent.addAndGet(length);
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
