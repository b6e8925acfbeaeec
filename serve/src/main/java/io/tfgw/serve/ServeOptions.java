package io.tfgw.serve;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * How {@code tfgw serve} runs.
 *
 * @param root the location served (a directory, bucket prefix or archive); nothing outside it is ever read
 * @param bind the address to listen on
 * @param port the port (0: any free port, see {@link TfgwServer#port()})
 * @param token the Bearer token every request must carry; null only allowed on a loopback address
 * @param maxConversions conversions running at once; more get 503 with Retry-After
 * @param cacheDirectory where converted models are kept under their content key
 * @param cacheMaxBytes the cache's bound: least recently used results are evicted beyond it
 * @param accessLog where the one line per request goes (null: nowhere)
 */
public record ServeOptions(String root, String bind, int port, String token, int maxConversions, Path cacheDirectory,
    long cacheMaxBytes, PrintStream accessLog) {

  public ServeOptions {
    if (maxConversions < 1) {
      throw new IllegalArgumentException("maxConversions must be at least 1");
    }
    if (cacheMaxBytes < 0) {
      throw new IllegalArgumentException("cacheMaxBytes must not be negative");
    }
  }

  /** Defaults: 127.0.0.1, port 8080, no token, 2 conversions at once, a cache under the temp directory. */
  public static ServeOptions of(String root) {
    return new ServeOptions(root, "127.0.0.1", 8080, null, 2,
        Path.of(System.getProperty("java.io.tmpdir"), "tfgw-serve-cache"), ConversionCache.DEFAULT_MAX_BYTES,
        System.err);
  }

  public ServeOptions withBind(String b) {
    return new ServeOptions(root, b, port, token, maxConversions, cacheDirectory, cacheMaxBytes, accessLog);
  }

  public ServeOptions withPort(int p) {
    return new ServeOptions(root, bind, p, token, maxConversions, cacheDirectory, cacheMaxBytes, accessLog);
  }

  public ServeOptions withToken(String t) {
    return new ServeOptions(root, bind, port, t == null || t.isEmpty() ? null : t, maxConversions, cacheDirectory,
        cacheMaxBytes, accessLog);
  }

  public ServeOptions withMaxConversions(int n) {
    return new ServeOptions(root, bind, port, token, n, cacheDirectory, cacheMaxBytes, accessLog);
  }

  public ServeOptions withCacheDirectory(Path dir) {
    return new ServeOptions(root, bind, port, token, maxConversions, dir, cacheMaxBytes, accessLog);
  }

  public ServeOptions withCacheMaxBytes(long max) {
    return new ServeOptions(root, bind, port, token, maxConversions, cacheDirectory, max, accessLog);
  }

  /**
   * A size as {@code --cache-max-size} takes it: bytes, or a number with K, M, G or T (powers of 1024, an optional
   * trailing B or iB: {@code 20G}, {@code 512MiB}, {@code 1.5T}).
   */
  public static long parseSize(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b)?\\s*")
        .matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("Not a size: '" + text + "'; give bytes or a number with K, M, G or T (20G)");
    }
    String unit = m.group(2).toUpperCase(java.util.Locale.ROOT);
    int power = unit.isEmpty() ? 0 : "KMGT".indexOf(unit) + 1; // indexOf("") would be 0, a K
    java.math.BigDecimal bytes = new java.math.BigDecimal(m.group(1)).multiply(java.math.BigDecimal.valueOf(1L << (10 * power)));
    if (bytes.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("Size too large: '" + text + "'");
    }
    return bytes.longValue();
  }

  public ServeOptions withAccessLog(PrintStream log) {
    return new ServeOptions(root, bind, port, token, maxConversions, cacheDirectory, cacheMaxBytes, log);
  }

  /** Whether {@link #bind} is a loopback address (the only place a server without a token may listen). */
  public boolean loopbackOnly() {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
