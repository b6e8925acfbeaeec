package io.tfgw.serve;

import io.tfgw.core.TfgwException;
import io.tfgw.core.storage.InvalidLocationException;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.StorageRouter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Routes every request, after the token check, to one of the planes; writes one access-log line per request.
 * Read-only: only GET and HEAD (and Triton's POST index query) are answered. Errors are JSON {@code {"error": ...}}
 * with Hugging Face's {@code X-Error-Code}; messages name paths relative to ROOT, never ROOT itself, a credential
 * or a stack trace.
 */
final class Gateway extends Handler.Abstract {
  private final ServeOptions options;
  private final RootGuard guard;
  private final HubApi hub;
  private final Conversions conversions;
  private final ServingApi serving;
  private final WebPages pages;
  private final byte[] tokenBytes;

  Gateway(ServeOptions options, StorageRouter storage, RootGuard guard) {
    this.options = options;
    this.guard = guard;
    this.hub = new HubApi(guard, new VirtualFiles(storage));
    this.conversions = new Conversions(storage, guard,
        new ConversionCache(options.cacheDirectory(), options.cacheMaxBytes()), options.maxConversions());
    this.serving = new ServingApi(guard);
    this.pages = new WebPages(guard, conversions, guard.root().fileName());
    this.tokenBytes = options.token() == null ? null : options.token().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    Exchange ex = new Exchange(request, response);
    try {
      if (!authorized(ex)) {
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"tfgw\"");
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"tfgw\", charset=\"UTF-8\"");
        error(ex, new HttpError(401, "Unauthorized", "Give the server's token: Authorization: Bearer TOKEN"));
      } else {
        route(ex);
      }
      callback.succeeded();
    } catch (Throwable t) {
      if (response.isCommitted()) {
        // the body was under way (a checksum failed mid-stream): cut the connection so the client sees it
        log("error after the response started: " + describe(t));
        callback.failed(t);
      } else {
        try {
          error(ex, asHttpError(t));
          callback.succeeded();
        } catch (Throwable again) {
          callback.failed(again);
        }
      }
    } finally {
      accessLog(ex, start);
    }
    return true;
  }

  private boolean authorized(Exchange ex) {
    if (tokenBytes == null) {
      return true;
    }
    String auth = ex.header(HttpHeader.AUTHORIZATION);
    if (auth == null) {
      return false;
    }
    String given = null;
    if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = auth.substring(7).trim();
    } else if (auth.regionMatches(true, 0, "Basic ", 0, 6)) {
      // browsers: any user name, the token as password
      try {
        String decoded = new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        given = colon < 0 ? null : decoded.substring(colon + 1);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), tokenBytes);
  }

  private void route(Exchange ex) throws Exception {
    String method = ex.method();
    String raw = ex.rawPath();
    boolean read = method.equals("GET") || method.equals("HEAD");
    if (raw.equals("/v2/repository/index") && method.equals("POST")) {
      serving.tritonIndex(ex);
      return;
    }
    if (method.equals("POST") && raw.startsWith("/api/models/")) { // the Hub's one read-only POST: paths-info
      List<String> rest = RootGuard.segments(raw).subList(2, RootGuard.segments(raw).size());
      int at = rest.lastIndexOf("paths-info");
      if (at > 0 && at >= rest.size() - 2) {
        hub.pathsInfo(ex, rest.subList(0, at), at == rest.size() - 1 ? "main" : rest.get(at + 1));
        return;
      }
    }
    if (!read) {
      ex.setHeader("Allow", "GET, HEAD");
      throw new HttpError(405, "MethodNotAllowed", "tfgw serve is read-only: " + method + " is not accepted");
    }
    List<String> segments = RootGuard.segments(raw);
    if (segments.isEmpty()) {
      pages.page(ex, List.of());
      return;
    }
    String first = segments.get(0);
    if (first.equals("ui")) {
      pages.page(ex, segments.subList(1, segments.size()));
    } else if (first.equals("healthz") && segments.size() == 1) {
      ex.bytes(200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8));
    } else if (first.equals("api") && segments.size() >= 2) {
      api(ex, segments.get(1), segments.subList(2, segments.size()));
    } else if (first.equals("v1") && segments.size() >= 3 && segments.get(1).equals("models")) {
      serving.handle(ex, segments.subList(2, segments.size()));
    } else {
      files(ex, segments);
    }
  }

  private void api(Exchange ex, String kind, List<String> rest) throws Exception {
    switch (kind) {
      case "models" -> {
        int tree = rest.indexOf("tree");
        int revision = rest.indexOf("revision");
        if (tree > 0 && tree + 1 < rest.size()) {
          hub.tree(ex, rest.subList(0, tree), rest.get(tree + 1), rest.subList(tree + 2, rest.size()));
        } else if (revision > 0 && revision == rest.size() - 2) {
          hub.modelInfo(ex, rest.subList(0, revision), rest.get(revision + 1));
        } else if (!rest.isEmpty()) {
          hub.modelInfo(ex, rest, "main");
        } else {
          throw HttpError.notFound("Give a repository: /api/models/REPO");
        }
      }
      case "convert" -> conversions.handle(ex, rest);
      case "conversions" -> {
        List<Map<String, Object>> list = new java.util.ArrayList<>();
        for (Conversions.Running r : conversions.running()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("source", r.source());
          m.put("to", r.to());
          m.put("seconds", (System.currentTimeMillis() - r.startedMillis()) / 1000);
          m.put("tensors_done", r.tensorsDone().get());
          m.put("tensors_total", r.tensorsTotal().get());
          list.add(m);
        }
        ex.json(200, list);
      }
      case "cache" -> ex.json(200, conversions.cache().stats());
      default -> throw HttpError.notFound("No API /api/" + kind);
    }
  }

  /** {@code /{repo}/resolve|raw/{rev}/{file}}: the first "resolve" or "raw" segment splits repo from file. */
  private void files(Exchange ex, List<String> segments) throws Exception {
    for (int i = 1; i + 2 < segments.size(); i++) {
      String s = segments.get(i);
      if (s.equals("resolve") || s.equals("raw")) {
        hub.file(ex, segments.subList(0, i), segments.get(i + 1), segments.subList(i + 2, segments.size()));
        return;
      }
    }
    throw HttpError.notFound("No such page: " + ex.rawPath());
  }

  private HttpError asHttpError(Throwable t) {
    if (t instanceof HttpError h) {
      return h;
    }
    if (t instanceof LocationNotFoundException) {
      return HttpError.notFound(shown(t.getMessage()));
    }
    if (t instanceof InvalidLocationException) {
      return HttpError.badRequest(shown(t.getMessage()));
    }
    if (t instanceof TfgwException) {
      return new HttpError(422, "Unprocessable", shown(t.getMessage()));
    }
    log("internal error: " + describe(t));
    return new HttpError(500, "InternalError", "Internal error (" + t.getClass().getSimpleName() + "); the server's"
        + " log has the details");
  }

  private String shown(String message) {
    return message == null ? "" : message.replace(guard.root().toString(), "ROOT");
  }

  private void error(Exchange ex, HttpError e) throws java.io.IOException {
    ex.setHeader("X-Error-Code", e.code);
    ex.setHeader("X-Error-Message", e.getMessage().replaceAll("[^\\x20-\\x7e]", "?")); // header values: ASCII
    ex.json(e.status, Map.of("error", e.getMessage()));
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private void log(String line) {
    PrintStream log = options.accessLog();
    if (log != null) {
      log.println(Instant.now() + " " + line);
    }
  }

  /** One line per request: time, client, method, path and query, status, bytes, milliseconds. */
  private void accessLog(Exchange ex, long start) {
    String query = ex.request.getHttpURI().getQuery();
    log(Request.getRemoteAddr(ex.request) + " " + ex.method() + " " + ex.rawPath()
        + (query == null ? "" : "?" + query) + " " + ex.status() + " " + ex.bytesSent() + "B "
        + (System.nanoTime() - start) / 1_000_000 + "ms" + (ex.note() == null ? "" : " " + ex.note()));
  }
}
