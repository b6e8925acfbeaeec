package io.tfgw.converters.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * TF Serving's model status ({@code GET http://host:8501/v1/models/NAME}): which versions it has AVAILABLE, so old
 * versions are removed only once the server serves the new ones.
 */
final class ServerStatus {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ServerStatus() {}

  /** Why the versions are not all AVAILABLE yet, or empty when they are. */
  static Optional<String> notAvailable(URI status, Collection<Long> versions) {
    Map<Long, String> states = new HashMap<>();
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.of(status + " answered HTTP " + r.statusCode());
      }
      for (JsonNode v : new ObjectMapper().readTree(r.body()).path("model_version_status")) {
        states.put(v.path("version").asLong(-1), v.path("state").asText());
      }
    } catch (java.io.IOException e) {
      return Optional.of(status + " cannot be read (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
    for (long v : versions) {
      if (!"AVAILABLE".equals(states.get(v))) {
        return Optional.of("version " + v + " is " + states.getOrDefault(v, "not listed") + " at " + status);
      }
    }
    return Optional.empty();
  }
}
