package io.tfgw.storage.http;

import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.time.Duration;

/**
 * How the HTTP(S) backend talks to servers. Option keys: {@code http.max-attempts} (per request, with backoff;
 * default 5), {@code http.connect-timeout-ms} (default 3000, so a wrong host fails within seconds),
 * {@code http.read-timeout-ms} (how long a response may sit silent before the request is given up and retried;
 * default 60000), {@code http.max-redirects} (default 10), {@code http.chunk-size} (bytes fetched per request when a
 * whole range is streamed; default 8 MiB).
 */
public record HttpSettings(int maxAttempts, Duration connectTimeout, Duration readTimeout, int maxRedirects,
    int chunkSize) {
  public static HttpSettings from(StorageOptions options) {
    return new HttpSettings(
        Math.max(1, intOption(options, "http.max-attempts", 5)),
        Duration.ofMillis(Math.max(100, intOption(options, "http.connect-timeout-ms", 3000))),
        Duration.ofMillis(Math.max(100, intOption(options, "http.read-timeout-ms", 60_000))),
        Math.max(0, intOption(options, "http.max-redirects", 10)),
        Math.max(64 << 10, intOption(options, "http.chunk-size", 8 << 20)));
  }

  private static int intOption(StorageOptions options, String key, int fallback) {
    String v = options.get(key).orElse(null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new StorageException("Option " + key + " must be a whole number, not '" + v + "'");
    }
  }
}
