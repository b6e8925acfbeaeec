package io.tfgw.storage.gcs;

import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * OAuth access tokens from Google's application-default credentials, found where Google's own libraries look:
 * the JSON file named by {@code GOOGLE_APPLICATION_CREDENTIALS}, then gcloud's
 * {@code application_default_credentials.json} ({@code gcloud auth application-default login}), then the metadata
 * server of a Google Cloud VM (only where the machine says it is one and {@code NO_GCE_CHECK} is not true, or
 * where {@code GCE_METADATA_HOST} names it).
 * Service-account keys are exchanged by a signed JWT (RS256), user credentials by their refresh token; a token is
 * reused until a minute before it expires. Other kinds of credential files (workload identity federation,
 * impersonation) are refused by name.
 *
 * <p>Tokens and keys never appear in messages or {@link #toString()}.
 */
final class GoogleAccessTokens implements Supplier<String> {
  static final String SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";
  static final String DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";

  private final String source;
  private final TokenRequest request;
  private final HttpClient http;
  private String token;
  private Instant expires = Instant.MIN;

  /** How to ask for a new token: a form POST to a token URI, or a GET of the metadata server. */
  private interface TokenRequest {
    HttpRequest build() throws IOException;
  }

  private GoogleAccessTokens(String source, TokenRequest request) {
    this.source = source;
    this.request = request;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  }

  /** The application-default credentials of this environment, if there are any. */
  static Optional<GoogleAccessTokens> find(Map<String, String> env) {
    String named = env.get("GOOGLE_APPLICATION_CREDENTIALS");
    if (named != null && !named.isBlank()) {
      Path file = Path.of(named.trim());
      if (!Files.isRegularFile(file)) {
        throw new StorageException("GOOGLE_APPLICATION_CREDENTIALS names " + file + ", which is not a file");
      }
      return Optional.of(fromFile(file));
    }
    String config = env.getOrDefault("CLOUDSDK_CONFIG", "");
    Path gcloud = config.isBlank()
        ? Path.of(System.getProperty("user.home"), ".config", "gcloud", "application_default_credentials.json")
        : Path.of(config, "application_default_credentials.json");
    if (Files.isRegularFile(gcloud)) {
      return Optional.of(fromFile(gcloud));
    }
    String metadataHost = env.get("GCE_METADATA_HOST");
    boolean noCheck = "true".equalsIgnoreCase(env.getOrDefault("NO_GCE_CHECK", "")); // as Google's libraries
    if ((metadataHost != null && !metadataHost.isBlank()) || (!noCheck && onGoogleCloudVm())) {
      String host = metadataHost != null && !metadataHost.isBlank() ? metadataHost.trim() : "metadata.google.internal";
      URI uri = URI.create("http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token");
      return Optional.of(new GoogleAccessTokens("the metadata server (" + host + ")",
          () -> HttpRequest.newBuilder(uri).header("Metadata-Flavor", "Google").timeout(Duration.ofSeconds(10)).GET().build()));
    }
    return Optional.empty();
  }

  /** Google's libraries tell a Google Cloud VM on Linux by its DMI product name. */
  private static boolean onGoogleCloudVm() {
    try {
      Path product = Path.of("/sys/class/dmi/id/product_name");
      return Files.isReadable(product) && Files.readString(product).contains("Google");
    } catch (IOException e) {
      return false;
    }
  }

  static GoogleAccessTokens fromFile(Path file) {
    Map<String, Object> json;
    try {
      json = Json.object(Files.readString(file));
    } catch (IOException | IllegalArgumentException e) {
      throw new StorageException("Cannot read the Google credentials file " + file + ": " + e.getMessage(), e);
    }
    String type = text(json, "type", file);
    String tokenUri = json.get("token_uri") instanceof String s ? s : DEFAULT_TOKEN_URI;
    switch (type) {
      case "service_account": {
        String email = text(json, "client_email", file);
        PrivateKey key = privateKey(text(json, "private_key", file), file);
        Object keyId = json.get("private_key_id");
        return new GoogleAccessTokens("the service account " + email + " (" + file + ")", () -> form(tokenUri, Map.of(
            "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion", jwt(email, keyId instanceof String k ? k : null, tokenUri, key))));
      }
      case "authorized_user": {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "refresh_token");
        fields.put("client_id", text(json, "client_id", file));
        fields.put("client_secret", text(json, "client_secret", file));
        fields.put("refresh_token", text(json, "refresh_token", file));
        return new GoogleAccessTokens("the user credentials in " + file, () -> form(tokenUri, fields));
      }
      default:
        throw new StorageException("The Google credentials file " + file + " is of type '" + type + "', which tfgw "
            + "does not use (it takes service_account and authorized_user files, and the metadata server). Use an "
            + "HMAC key instead: GCS_HMAC_ACCESS_KEY_ID and GCS_HMAC_SECRET.");
    }
  }

  private static String text(Map<String, Object> json, String key, Path file) {
    if (json.get(key) instanceof String s && !s.isEmpty()) {
      return s;
    }
    throw new StorageException("The Google credentials file " + file + " has no '" + key + "'");
  }

  private static PrivateKey privateKey(String pem, Path file) {
    try {
      String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (Exception e) {
      throw new StorageException("The private key in the Google credentials file " + file + " is not an RSA key in "
          + "PKCS#8 PEM form", e);
    }
  }

  /** A signed JWT asking {@code audience} for a token of the storage scope, valid for an hour. */
  static String jwt(String email, String keyId, String audience, PrivateKey key) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = Instant.now().getEpochSecond();
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"" + (keyId != null ? ",\"kid\":\"" + escape(keyId) + "\"" : "") + "}";
    String claims = "{\"iss\":\"" + escape(email) + "\",\"scope\":\"" + SCOPE + "\",\"aud\":\"" + escape(audience)
        + "\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}";
    String unsigned = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key);
      s.update(unsigned.getBytes(StandardCharsets.US_ASCII));
      return unsigned + "." + b64.encodeToString(s.sign());
    } catch (java.security.GeneralSecurityException e) {
      throw new StorageException("Cannot sign the token request for " + email + ": " + e.getMessage(), e);
    }
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static HttpRequest form(String uri, Map<String, String> fields) {
    StringBuilder body = new StringBuilder();
    fields.forEach((k, v) -> body.append(body.length() > 0 ? "&" : "").append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
  }

  /** A valid access token, fetched again a minute before the last one expires. */
  @Override
  public synchronized String get() {
    if (token != null && Instant.now().isBefore(expires.minusSeconds(60))) {
      return token;
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new StorageException("Cannot get a Google access token from " + source + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while getting a Google access token");
    }
    Map<String, Object> json;
    try {
      json = Json.object(response.body());
    } catch (IllegalArgumentException e) {
      json = Map.of();
    }
    if (response.statusCode() != 200 || !(json.get("access_token") instanceof String t)) {
      Object error = json.getOrDefault("error_description", json.get("error"));
      throw new StorageException("Cannot get a Google access token from " + source + ": HTTP " + response.statusCode()
          + (error != null ? " (" + error + ")" : "") + ". Check the credentials (gcloud auth application-default "
          + "login, GOOGLE_APPLICATION_CREDENTIALS), or use an HMAC key (GCS_HMAC_ACCESS_KEY_ID, GCS_HMAC_SECRET).");
    }
    long seconds = json.get("expires_in") instanceof Double d ? d.longValue() : 300;
    token = t;
    expires = Instant.now().plusSeconds(seconds);
    return token;
  }

  String source() {
    return source;
  }

  @Override
  public String toString() {
    return "GoogleAccessTokens[" + source + "]";
  }
}
