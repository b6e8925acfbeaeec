package io.tfgw.serve;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code tfgw serve}: an HTTP/1.1 gateway over one ROOT location, on Jetty 12 (embedded, no servlet layer). Jetty
 * because it is the most widely deployed embeddable Java server, streams request and response bodies without
 * buffering, has a bounded thread pool, a gzip handler that leaves ranges and binary bodies alone, and strict URI
 * handling (ambiguous encoded separators are refused before tfgw sees them); and S3Proxy, which the tests run,
 * is built on the same Jetty, so one version serves both.
 *
 * <p>Stateless: every answer comes from ROOT (plus a cache of conversions keyed by content), so instances scale
 * out behind a load balancer.
 */
public final class TfgwServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final StorageRouter storage;

  private TfgwServer(Server server, ServerConnector connector, StorageRouter storage) {
    this.server = server;
    this.connector = connector;
    this.storage = storage;
  }

  /**
   * Starts serving. Refuses to listen beyond loopback without a token. The storage is closed with the server.
   */
  public static TfgwServer start(ServeOptions options, StorageRouter storage) {
    try {
      return startOrFail(options, storage);
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  private static TfgwServer startOrFail(ServeOptions options, StorageRouter storage) {
    if (options.token() == null && !options.loopbackOnly()) {
      throw new WrongInputException("tfgw serve listens on " + options.bind() + " without a token: give --token "
          + "(clients send Authorization: Bearer TOKEN) or bind to 127.0.0.1");
    }
    Location root = Location.parse(options.root());
    RootGuard guard = new RootGuard(storage, root);
    if (storage.list(root).isEmpty() && !storage.exists(root)) {
      throw new io.tfgw.core.storage.LocationNotFoundException(root, "ROOT " + root + " holds no files: give the "
          + "directory, bucket prefix or archive that holds the models");
    }
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("tfgw-serve");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(options.bind());
    connector.setPort(options.port());
    server.addConnector(connector);
    GzipHandler gzip = new GzipHandler(new Gateway(options, storage, guard));
    gzip.setIncludedMimeTypes("text/html", "application/json", "text/plain", "text/css", "application/javascript");
    gzip.setMinGzipSize(1024);
    server.setHandler(gzip);
    server.setErrorHandler(new JsonErrors());
    server.setStopTimeout(2000);
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // already failing
      }
      throw new WrongInputException("Cannot listen on " + options.bind() + ":" + options.port() + ": "
          + e.getMessage());
    }
    return new TfgwServer(server, connector, storage);
  }

  /**
   * Jetty's own refusals (an ambiguous URI, a malformed request) as JSON like tfgw's other errors, without
   * Jetty's HTML page echoing the request back.
   */
  private static final class JsonErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
    @Override
    public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
        org.eclipse.jetty.util.Callback callback) {
      Object message = request.getAttribute(ERROR_MESSAGE);
      String text = message == null ? org.eclipse.jetty.http.HttpStatus.getMessage(response.getStatus())
          : message.toString();
      byte[] body;
      try {
        body = Exchange.JSON.writeValueAsBytes(java.util.Map.of("error", text));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        body = "{\"error\": \"bad request\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put("X-Error-Code", "BadRequest");
      response.write(true, java.nio.ByteBuffer.wrap(body), callback);
      return true;
    }
  }

  /** The port listened on (the one chosen when asked for port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Blocks until the server stops. */
  public void join() throws InterruptedException {
    server.join();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // stopping: nothing left to report to
    } finally {
      storage.close();
    }
  }
}
