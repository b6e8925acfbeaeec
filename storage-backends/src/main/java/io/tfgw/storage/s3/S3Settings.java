package io.tfgw.storage.s3;

import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * How to reach S3, from {@link StorageOptions} first and the usual AWS sources second: the default credential
 * chain (environment, profile, container and instance roles), the default region chain ({@code us-east-1} when
 * none is set), and {@code AWS_ENDPOINT_URL_S3} / {@code AWS_ENDPOINT_URL} for S3-compatible stores.
 *
 * <p>Option keys: {@code s3.endpoint}, {@code s3.path-style}, {@code s3.region}, {@code s3.access-key-id} and
 * {@code s3.secret-access-key} (both or neither), {@code s3.part-size} (bytes, at least 5 MiB),
 * {@code s3.upload-parallelism} (parts in flight per file), {@code s3.max-attempts} (per request, with backoff),
 * {@code s3.socket-timeout-ms} (how long a connection may sit silent before the request is given up and retried;
 * default 60 s, so a stalled server costs at most max-attempts times that, never a hang).
 */
public record S3Settings(Optional<URI> endpoint, boolean pathStyle, Optional<String> region,
    Optional<String> accessKeyId, Optional<String> secretAccessKey, int partSize, int uploadParallelism,
    int maxAttempts, Duration socketTimeout, boolean googleCloudStorage,
    java.util.function.Supplier<String> bearerToken) {
  /** S3's smallest allowed part (except the last). */
  public static final int MIN_PART_SIZE = 5 << 20;
  public static final int DEFAULT_PART_SIZE = 8 << 20;

  public static S3Settings from(StorageOptions options) {
    return from(options, System.getenv());
  }

  static S3Settings from(StorageOptions options, Map<String, String> env) {
    Optional<URI> endpoint = options.get("s3.endpoint")
        .or(() -> Optional.ofNullable(env.get("AWS_ENDPOINT_URL_S3")))
        .or(() -> Optional.ofNullable(env.get("AWS_ENDPOINT_URL")))
        .filter(s -> !s.isBlank())
        .map(S3Settings::endpointUri);
    boolean pathStyle = options.get("s3.path-style").map(Boolean::parseBoolean).orElse(false);
    Optional<String> key = options.get("s3.access-key-id");
    Optional<String> secret = options.get("s3.secret-access-key");
    if (key.isPresent() != secret.isPresent()) {
      throw new StorageException("Set both s3.access-key-id and s3.secret-access-key, or neither");
    }
    int partSize = intOption(options, "s3.part-size", DEFAULT_PART_SIZE);
    if (partSize < MIN_PART_SIZE) {
      throw new StorageException("s3.part-size must be at least " + MIN_PART_SIZE + " bytes (S3's minimum part), not " + partSize);
    }
    return new S3Settings(endpoint, pathStyle, options.get("s3.region"), key, secret, partSize,
        Math.max(1, intOption(options, "s3.upload-parallelism", 4)), Math.max(1, intOption(options, "s3.max-attempts", 5)),
        Duration.ofMillis(Math.max(100, intOption(options, "s3.socket-timeout-ms", 60_000))), false, null);
  }

  /**
   * The same settings for Google Cloud Storage's XML API, which speaks S3's protocol with HMAC keys but takes none
   * of the SDK's additional-checksum headers (x-amz-checksum-*); uploads there carry Content-MD5 only.
   */
  public S3Settings forGoogleCloudStorage() {
    return new S3Settings(endpoint, pathStyle, region, accessKeyId, secretAccessKey, partSize, uploadParallelism,
        maxAttempts, socketTimeout, true, bearerToken);
  }

  /**
   * The same settings with requests authorized by OAuth access tokens ({@code Authorization: Bearer}, which GCS's
   * XML API takes) instead of an AWS signature; {@code tokens} gives a valid token for each request.
   */
  public S3Settings withBearerTokens(java.util.function.Supplier<String> tokens) {
    return new S3Settings(endpoint, pathStyle, region, Optional.empty(), Optional.empty(), partSize, uploadParallelism,
        maxAttempts, socketTimeout, googleCloudStorage, tokens);
  }

  private static URI endpointUri(String text) {
    String t = text.contains("://") ? text : "https://" + text;
    try {
      return URI.create(t);
    } catch (IllegalArgumentException e) {
      throw new StorageException("Invalid S3 endpoint '" + text + "': use a URL such as http://127.0.0.1:9000");
    }
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

  /**
   * A client with the SDK's standard retry strategy (exponential backoff with jitter; throttling, 5xx and I/O
   * errors and timeouts are retried, other 4xx are not) and the small URL-connection HTTP client.
   */
  S3Client newClient() {
    return newClient(new java.util.concurrent.atomic.AtomicLong());
  }

  /** A client that counts every HTTP attempt it sends (retries included) in {@code requestsSent}. */
  S3Client newClient(java.util.concurrent.atomic.AtomicLong requestsSent) {
    S3ClientBuilder b = S3Client.builder()
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(3)) // a dropped connection fails in 5 x 3 s, not minutes
            .socketTimeout(socketTimeout)
            .build())
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .retryStrategy(retryStrategy(maxAttempts))
            .addExecutionInterceptor(new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
              @Override
              public void beforeTransmission(software.amazon.awssdk.core.interceptor.Context.BeforeTransmission context,
                  software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
                requestsSent.incrementAndGet();
              }
            })
            .build())
        .region(resolveRegion())
        .credentialsProvider(credentials())
        .forcePathStyle(pathStyle);
    if (bearerToken != null) {
      // unsigned requests (anonymous credentials), each carrying a current access token instead
      java.util.function.Supplier<String> tokens = bearerToken;
      b.credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create());
      b.overrideConfiguration(c -> c.addExecutionInterceptor(new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
        @Override
        public software.amazon.awssdk.http.SdkHttpRequest modifyHttpRequest(
            software.amazon.awssdk.core.interceptor.Context.ModifyHttpRequest context,
            software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
          return context.httpRequest().toBuilder().putHeader("Authorization", "Bearer " + tokens.get()).build();
        }
      }));
    }
    if (googleCloudStorage) {
      b.requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED);
    }
    if (endpoint.isPresent()) {
      b.endpointOverride(endpoint.get());
      if (bearerToken == null && LoopbackUnsignedPayload.appliesTo(endpoint.get())) {
        b.putAuthScheme(new LoopbackUnsignedPayload());
      }
    } else {
      b.crossRegionAccessEnabled(true); // a bucket in another region than the configured one still works
    }
    return b.build();
  }

  /** The standard retry strategy with {@code attempts} attempts in all (1: the request is sent once). */
  static RetryStrategy retryStrategy(int attempts) {
    return AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(attempts).build();
  }

  /** Never prints the secret: settings may end up in a log line or an error message. */
  @Override
  public String toString() {
    return "S3Settings[endpoint=" + endpoint.map(URI::toString).orElse("(AWS)") + ", pathStyle=" + pathStyle
        + ", region=" + region.orElse("(default chain)") + ", accessKeyId=" + accessKeyId.orElse("(default chain)")
        + ", secretAccessKey=" + (secretAccessKey.isPresent() ? "****" : "(default chain)") + ", partSize=" + partSize
        + ", uploadParallelism=" + uploadParallelism + ", maxAttempts=" + maxAttempts + ", socketTimeout=" + socketTimeout
        + (googleCloudStorage ? ", googleCloudStorage" : "") + (bearerToken != null ? ", bearerToken=" + bearerToken : "") + "]";
  }

  private Region resolveRegion() {
    if (region.isPresent()) {
      return Region.of(region.get());
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (RuntimeException e) {
      return Region.US_EAST_1; // S3-compatible stores ignore it; AWS redirects across regions
    }
  }

  private AwsCredentialsProvider credentials() {
    if (accessKeyId.isPresent()) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId.get(), secretAccessKey.get()));
    }
    return DefaultCredentialsProvider.builder().build();
  }
}
