package io.tfgw.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;

/** One request and its response, with the few ways tfgw answers: JSON, HTML, and blobs with ranges and ETags. */
final class Exchange {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  final Request request;
  final Response response;
  private Fields query;
  private int status = 200;
  private String note;
  private long sent;

  Exchange(Request request, Response response) {
    this.request = request;
    this.response = response;
  }

  String method() {
    return request.getMethod();
  }

  boolean isHead() {
    return "HEAD".equals(request.getMethod());
  }

  /** The path as sent, still percent-encoded (segments are decoded by {@link RootGuard#segments}). */
  String rawPath() {
    String p = request.getHttpURI().getPath();
    return p == null ? "/" : p;
  }

  String header(HttpHeader name) {
    return request.getHeaders().get(name);
  }

  String query(String name) {
    if (query == null) {
      query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
    }
    return query.getValue(name);
  }

  int status() {
    return status;
  }

  long bytesSent() {
    return sent;
  }

  /** A remark for this request's access-log line (a conversion's cache outcome); null when there is none. */
  String note() {
    return note;
  }

  void note(String text) {
    note = text;
  }

  /** The request body, at most {@code max} bytes (413 beyond: a request body is a small query, never a file). */
  byte[] body(int max) throws IOException {
    try (java.io.InputStream in = Content.Source.asInputStream(request)) {
      byte[] b = in.readNBytes(max + 1);
      if (b.length > max) {
        throw new HttpError(413, "PayloadTooLarge", "The request body is over " + max + " bytes");
      }
      return b;
    }
  }

  void setHeader(String name, String value) {
    response.getHeaders().put(name, value);
  }

  void json(int code, Object value) throws IOException {
    bytes(code, "application/json; charset=utf-8", JSON.writeValueAsBytes(value));
  }

  void html(int code, String html) throws IOException {
    bytes(code, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  void bytes(int code, String contentType, byte[] body) throws IOException {
    status = code;
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    if (!isHead()) {
      try (OutputStream out = Content.Sink.asOutputStream(response)) {
        out.write(body);
      }
      sent += body.length;
    }
  }

  /** A body of unknown length (a tar being assembled), streamed with chunked transfer encoding. */
  OutputStream stream(int code, String contentType) {
    status = code;
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    OutputStream out = Content.Sink.asOutputStream(response);
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        sent += len;
      }

      @Override
      public void write(int b) throws IOException {
        out.write(b);
        sent++;
      }
    };
  }

  /**
   * Sends a blob as HTTP/1.1 file servers do: {@code ETag}, {@code If-None-Match} (304), one byte range (206,
   * 416 when unsatisfiable; {@code If-Range} honoured; several ranges get the whole file, as RFC 9110 allows).
   */
  void send(Blob blob) throws IOException {
    String etag = blob.etag();
    long length = blob.length();
    response.getHeaders().put(HttpHeader.ETAG, etag);
    response.getHeaders().put(HttpHeader.ACCEPT_RANGES, "bytes");
    String inm = header(HttpHeader.IF_NONE_MATCH);
    if (inm != null && matches(inm, etag)) {
      status = 304;
      response.setStatus(304);
      return;
    }
    long from = 0;
    long count = length;
    int code = 200;
    String range = header(HttpHeader.RANGE);
    String ifRange = header(HttpHeader.IF_RANGE);
    if (range != null && (ifRange == null || (ifRange.equals(etag) && !etag.startsWith("W/")))) {
      long[] r = parseRange(range, length);
      if (r == null) {
        status = 416;
        response.setStatus(416);
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes */" + length);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        return;
      }
      if (r.length == 2) {
        from = r[0];
        count = r[1] - r[0] + 1;
        code = 206;
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes " + r[0] + "-" + r[1] + "/" + length);
      }
    }
    status = code;
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, blob.contentType());
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, count);
    if (isHead() || count == 0) {
      return;
    }
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      blob.copy(from, count, new java.io.FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
          sent += len;
        }
      });
    }
  }

  private static boolean matches(String ifNoneMatch, String etag) {
    String bare = etag.startsWith("W/") ? etag.substring(2) : etag;
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.trim();
      if (c.equals("*") || (c.startsWith("W/") ? c.substring(2) : c).equals(bare)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}: {first, last} clipped to the file; null when
   * unsatisfiable; an empty array (whole file) for several ranges or a unit other than bytes.
   */
  static long[] parseRange(String header, long length) {
    String h = header.trim();
    if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
      return new long[0];
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new long[0];
    }
    try {
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      if (a.isEmpty()) {
        long suffix = Long.parseLong(b);
        if (suffix <= 0 || length == 0) {
          return null;
        }
        return new long[] {Math.max(0, length - suffix), length - 1};
      }
      long first = Long.parseLong(a);
      long last = b.isEmpty() ? length - 1 : Math.min(Long.parseLong(b), length - 1);
      if (first >= length || first < 0 || last < first) {
        return null;
      }
      return new long[] {first, last};
    } catch (NumberFormatException e) {
      return new long[0]; // a malformed Range is ignored (RFC 9110 14.2)
    }
  }
}
