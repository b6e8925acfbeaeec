package io.tfgw.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.storage.s3.S3Storage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Application-default credentials against a token endpoint and a metadata server in this JVM, and the tokens they
 * give on the requests a gs:// read sends (to a server answering GCS's XML API HEAD as Google does): what can be
 * tested of Google's OAuth without Google.
 */
class GcsCredentialsTest {
  private static final String TOKEN = "ya29.test-access-token";
  @TempDir Path dir;
  HttpServer server;
  KeyPair keys;
  final List<Map<String, String>> tokenRequests = Collections.synchronizedList(new ArrayList<>());
  final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
  volatile int tokenStatus = 200;

  @BeforeEach
  void start() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    keys = g.generateKeyPair();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", this::token);
    server.createContext("/computeMetadata/v1/instance/service-accounts/default/token", this::metadata);
    server.createContext("/bucket", this::object);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      ex.getResponseBody().write(b);
    }
    ex.close();
  }

  private void token(HttpExchange ex) throws IOException {
    Map<String, String> form = new HashMap<>();
    for (String pair : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
      String[] kv = pair.split("=", 2);
      form.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    tokenRequests.add(form);
    if (tokenStatus != 200) {
      answer(ex, tokenStatus, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
      return;
    }
    answer(ex, 200, "{\"access_token\":\"" + TOKEN + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
  }

  private void metadata(HttpExchange ex) throws IOException {
    if (!"Google".equals(ex.getRequestHeaders().getFirst("Metadata-Flavor"))) {
      answer(ex, 403, "");
      return;
    }
    tokenRequests.add(Map.of("metadata", "yes"));
    answer(ex, 200, "{\"access_token\":\"" + TOKEN + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
  }

  /** GCS's XML API HEAD of an object, for an OAuth token only. */
  private void object(HttpExchange ex) throws IOException {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    authorizations.add(String.valueOf(auth));
    if (!("Bearer " + TOKEN).equals(auth)) {
      answer(ex, 401, "");
      return;
    }
    ex.getResponseHeaders().set("ETag", "\"5d41402abc4b2a76b9719d911017c592\"");
    ex.getResponseHeaders().set("Last-Modified", "Fri, 04 Dec 2026 10:00:00 GMT");
    ex.getResponseHeaders().set("x-goog-hash", "crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg==");
    ex.getResponseHeaders().set("Content-Length", "5");
    ex.sendResponseHeaders(200, -1);
    ex.close();
  }

  private S3Storage gcs(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("NO_GCE_CHECK", "true");
    all.putIfAbsent("CLOUDSDK_CONFIG", dir.resolve("no-gcloud").toString());
    return new S3Storage(GcsStorageProvider.settings(StorageOptions.builder().set("gcs.endpoint", base()).build(), all));
  }

  private Path serviceAccountFile() throws IOException {
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    String json = "{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key_id\": \"k1\", \"private_key\": \""
        + pem.replace("\r", "").replace("\n", "\\n") + "\", \"client_email\": \"tfgw@p.iam.gserviceaccount.com\", "
        + "\"token_uri\": \"" + base() + "/token\"}";
    return Files.writeString(dir.resolve("sa.json"), json);
  }

  @Test
  void aServiceAccountKeyIsExchangedByASignedJwtAndItsTokenAuthorizesRequests() throws Exception {
    Location loc = Location.parse("gs://bucket/models/model.ckpt.index");
    try (S3Storage gcs = gcs(Map.of("GOOGLE_APPLICATION_CREDENTIALS", serviceAccountFile().toString()))) {
      assertThat(gcs.exists(loc)).isTrue();
      assertThat(gcs.inputFile(loc).length()).isEqualTo(5);
      assertThat(gcs.crc32c(loc)).as("x-goog-hash crc32c").hasValue(0x9a71bb4c);
    }
    assertThat(tokenRequests).as("one token, reused").hasSize(1);
    Map<String, String> form = tokenRequests.get(0);
    assertThat(form.get("grant_type")).isEqualTo("urn:ietf:params:oauth:grant-type:jwt-bearer");
    String[] jwt = form.get("assertion").split("\\.");
    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(keys.getPublic());
    verify.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verify.verify(Base64.getUrlDecoder().decode(jwt[2]))).as("JWT signed with the account's key").isTrue();
    String claims = new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8);
    assertThat(claims).contains("\"iss\":\"tfgw@p.iam.gserviceaccount.com\"").contains("devstorage.read_write")
        .contains("\"aud\":\"" + base() + "/token\"");
    assertThat(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8)).contains("\"kid\":\"k1\"");
    assertThat(authorizations).isNotEmpty().allSatisfy(a -> assertThat(a).isEqualTo("Bearer " + TOKEN));
  }

  @Test
  void userCredentialsFromGcloudUseTheirRefreshToken() throws Exception {
    Path gcloud = Files.createDirectories(dir.resolve("gcloud"));
    Files.writeString(gcloud.resolve("application_default_credentials.json"), "{\"type\":\"authorized_user\","
        + "\"client_id\":\"cid.apps.googleusercontent.com\",\"client_secret\":\"csecret\",\"refresh_token\":\"1//rt\","
        + "\"token_uri\":\"" + base() + "/token\"}");
    try (S3Storage gcs = gcs(Map.of("CLOUDSDK_CONFIG", gcloud.toString()))) {
      assertThat(gcs.exists(Location.parse("gs://bucket/a"))).isTrue();
    }
    assertThat(tokenRequests).singleElement().satisfies(f -> {
      assertThat(f.get("grant_type")).isEqualTo("refresh_token");
      assertThat(f.get("refresh_token")).isEqualTo("1//rt");
      assertThat(f.get("client_id")).isEqualTo("cid.apps.googleusercontent.com");
    });
  }

  @Test
  void aVmGetsItsTokenFromTheMetadataServer() {
    try (S3Storage gcs = gcs(Map.of("GCE_METADATA_HOST", "127.0.0.1:" + server.getAddress().getPort()))) {
      assertThat(gcs.exists(Location.parse("gs://bucket/a"))).isTrue();
    }
    assertThat(tokenRequests).containsExactly(Map.of("metadata", "yes"));
  }

  @Test
  void refusedTokensAndUnsupportedFilesAreExplained() throws Exception {
    tokenStatus = 400;
    try (S3Storage gcs = gcs(Map.of("GOOGLE_APPLICATION_CREDENTIALS", serviceAccountFile().toString()))) {
      assertThatThrownBy(() -> gcs.exists(Location.parse("gs://bucket/a"))).isInstanceOf(StorageException.class)
          .hasMessageContaining("Invalid JWT Signature").hasMessageContaining("tfgw@p.iam.gserviceaccount.com")
          .hasMessageNotContaining("PRIVATE KEY");
    }
    Path federation = Files.writeString(dir.resolve("wif.json"), "{\"type\":\"external_account\",\"audience\":\"x\"}");
    assertThatThrownBy(() -> gcs(Map.of("GOOGLE_APPLICATION_CREDENTIALS", federation.toString())))
        .isInstanceOf(StorageException.class).hasMessageContaining("'external_account'").hasMessageContaining("HMAC");
    assertThatThrownBy(() -> gcs(Map.of("GOOGLE_APPLICATION_CREDENTIALS", dir.resolve("missing.json").toString())))
        .isInstanceOf(StorageException.class).hasMessageContaining("not a file");
  }
}
