package io.tfgw.storage.gcs;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.storage.s3.S3Settings;
import io.tfgw.storage.s3.S3Storage;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Google Cloud Storage under {@code gs://bucket/key}, through GCS's XML API, which speaks S3's protocol: the S3
 * backend (ranged GETs pinned by ETag, multipart uploads completed only at commit and aborted otherwise, retries with
 * backoff) signs its requests with an HMAC key of the project (AWS Signature V4, as GCS documents for
 * interoperability).
 *
 * <p>Why not the official {@code google-cloud-storage} client: it brings gRPC, gax, its own protobuf and about 60
 * jars, there is no GCS emulator to test it against here, and the XML API path reuses the S3 code that every test
 * already exercises. What that costs: there are no conditional writes (see {@link S3Storage#capability}), and
 * application-default credentials are read by tfgw's own small implementation ({@link GoogleAccessTokens}: service
 * account keys, gcloud user credentials, the VM metadata server) rather than Google's auth library.
 *
 * <p>Credentials: an HMAC key ({@code gcs.hmac-access-key-id} / {@code GCS_HMAC_ACCESS_KEY_ID} and
 * {@code gcs.hmac-secret} / {@code GCS_HMAC_SECRET}) signs requests with AWS Signature V4; without one,
 * application-default credentials ({@code gcs.credentials-file} / {@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's
 * file, the metadata server) give OAuth access tokens. Other options: {@code gcs.endpoint} (default
 * {@code https://storage.googleapis.com}), and {@code s3.part-size}, {@code s3.max-attempts},
 * {@code s3.socket-timeout-ms}, {@code s3.upload-parallelism} as for S3.
 */
public final class GcsStorageProvider implements StorageProvider {
  public static final String DEFAULT_ENDPOINT = "https://storage.googleapis.com";

  @Override
  public Set<String> schemes() {
    return Set.of(Location.GCS);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new S3Storage(settings(options, System.getenv()));
  }

  /** S3 settings that reach GCS's XML API with the HMAC key from the options or the environment. */
  public static S3Settings settings(StorageOptions options, Map<String, String> env) {
    Optional<String> key = value(options, "gcs.hmac-access-key-id", env, "GCS_HMAC_ACCESS_KEY_ID");
    Optional<String> secret = value(options, "gcs.hmac-secret", env, "GCS_HMAC_SECRET");
    if (key.isPresent() != secret.isPresent()) {
      throw new StorageException("Set both GCS_HMAC_ACCESS_KEY_ID and GCS_HMAC_SECRET (an HMAC key of the Google Cloud "
          + "project), or neither to use application-default credentials");
    }
    Optional<GoogleAccessTokens> tokens = Optional.empty();
    if (key.isEmpty()) {
      Map<String, String> adcEnv = new java.util.HashMap<>(env);
      options.get("gcs.credentials-file").ifPresent(f -> adcEnv.put("GOOGLE_APPLICATION_CREDENTIALS", f));
      tokens = GoogleAccessTokens.find(adcEnv);
      if (tokens.isEmpty()) {
        throw new StorageException("gs:// locations need Google credentials: application-default credentials "
            + "(gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS=key.json, or a Google Cloud VM's "
            + "service account), or an HMAC key in GCS_HMAC_ACCESS_KEY_ID and GCS_HMAC_SECRET (Cloud Console: Cloud "
            + "Storage > Settings > Interoperability).");
      }
    }
    StorageOptions.Builder s3 = StorageOptions.builder()
        .set("s3.endpoint", value(options, "gcs.endpoint", env, null).orElse(DEFAULT_ENDPOINT))
        .set("s3.path-style", "true")
        .set("s3.region", "auto")
        .set("s3.access-key-id", key.orElse(null))
        .set("s3.secret-access-key", secret.orElse(null));
    for (String k : new String[] {"s3.part-size", "s3.max-attempts", "s3.socket-timeout-ms", "s3.upload-parallelism"}) {
      s3.set(k, options.get(k).orElse(null));
    }
    S3Settings settings = S3Settings.from(s3.build()).forGoogleCloudStorage();
    return tokens.isPresent() ? settings.withBearerTokens(tokens.get()) : settings;
  }

  private static Optional<String> value(StorageOptions options, String key, Map<String, String> env, String variable) {
    // a Java system property of the variable's name counts as the variable (as for the Azure SDK's variables)
    return options.get(key)
        .or(() -> Optional.ofNullable(variable == null ? null : System.getProperty(variable)))
        .or(() -> Optional.ofNullable(variable == null ? null : env.get(variable)))
        .filter(v -> !v.isBlank()).map(String::trim);
  }
}
