package io.tfgw.storage.azure;

import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach Azure Blob Storage, from {@link StorageOptions} first and the environment second. Credentials, the
 * first one found: a connection string ({@code azure.connection-string}, {@code AZURE_STORAGE_CONNECTION_STRING};
 * it may carry a SAS or an account key, and the endpoint), a SAS token ({@code azure.sas-token},
 * {@code AZURE_STORAGE_SAS_TOKEN}), an account key ({@code azure.account-key}, {@code AZURE_STORAGE_KEY}), else the
 * SDK's default chain ({@code DefaultAzureCredential}: environment service principal, workload and managed identity,
 * Azure CLI / PowerShell / azd sign-in).
 *
 * <p>Each variable may also be given as a Java system property of the same name (as the Azure SDK reads them).
 *
 * <p>Other keys: {@code azure.endpoint} (the blob service URL of the account, for emulators and sovereign clouds,
 * e.g. {@code http://127.0.0.1:10000/devstoreaccount1}; default {@code https://ACCOUNT.blob.core.windows.net}),
 * {@code azure.block-size} (bytes per staged block, default 8 MiB), {@code azure.upload-parallelism} (blocks in
 * flight per file, default 4), {@code azure.max-attempts} (per request, with exponential backoff, default 5),
 * {@code azure.read-timeout-ms} (how long a connection may sit silent, default 60000).
 */
public record AzureSettings(Optional<String> endpoint, Optional<String> connectionString, Optional<String> sasToken,
    Optional<String> accountKey, int blockSize, int uploadParallelism, int maxAttempts, Duration readTimeout) {
  public static final int DEFAULT_BLOCK_SIZE = 8 << 20;
  /** Azure's largest staged block. */
  public static final long MAX_BLOCK_SIZE = 4000L << 20;

  public static AzureSettings from(StorageOptions options) {
    return from(options, System.getenv());
  }

  static AzureSettings from(StorageOptions options, Map<String, String> env) {
    int blockSize = intOption(options, "azure.block-size", DEFAULT_BLOCK_SIZE);
    if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
      throw new StorageException("azure.block-size must be between 1 byte and 4000 MiB, not " + blockSize);
    }
    return new AzureSettings(
        value(options, "azure.endpoint", env, null).map(AzureSettings::endpointUrl),
        value(options, "azure.connection-string", env, "AZURE_STORAGE_CONNECTION_STRING"),
        value(options, "azure.sas-token", env, "AZURE_STORAGE_SAS_TOKEN"),
        value(options, "azure.account-key", env, "AZURE_STORAGE_KEY"),
        blockSize,
        Math.max(1, intOption(options, "azure.upload-parallelism", 4)),
        Math.max(1, intOption(options, "azure.max-attempts", 5)),
        Duration.ofMillis(Math.max(100, intOption(options, "azure.read-timeout-ms", 60_000))));
  }

  private static Optional<String> value(StorageOptions options, String key, Map<String, String> env, String variable) {
    // a Java system property of the variable's name counts as the variable, as the Azure SDK's Configuration reads them
    return options.get(key)
        .or(() -> Optional.ofNullable(variable == null ? null : System.getProperty(variable)))
        .or(() -> Optional.ofNullable(variable == null ? null : env.get(variable)))
        .filter(s -> !s.isBlank()).map(String::trim);
  }

  private static String endpointUrl(String text) {
    String t = text.contains("://") ? text : "https://" + text;
    try {
      java.net.URI uri = java.net.URI.create(t);
      if (uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new StorageException("Invalid Azure endpoint '" + text + "': use the account's blob service URL, such as "
          + "http://127.0.0.1:10000/devstoreaccount1 (Azurite) or https://ACCOUNT.blob.core.windows.net");
    }
    return t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
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

  /** Which kind of credential is used, for messages (never the secret itself). */
  String credentialKind() {
    return connectionString.isPresent() ? "the connection string (AZURE_STORAGE_CONNECTION_STRING)"
        : sasToken.isPresent() ? "the SAS token (AZURE_STORAGE_SAS_TOKEN)"
        : accountKey.isPresent() ? "the account key (AZURE_STORAGE_KEY)"
        : "the default credential chain (service principal variables, managed identity, az login)";
  }

  /** Never prints a secret: settings may end up in a log line or an error message. */
  @Override
  public String toString() {
    return "AzureSettings[endpoint=" + endpoint.orElse("(https://ACCOUNT.blob.core.windows.net)")
        + ", connectionString=" + (connectionString.isPresent() ? "****" : "(none)")
        + ", sasToken=" + (sasToken.isPresent() ? "****" : "(none)")
        + ", accountKey=" + (accountKey.isPresent() ? "****" : "(none)")
        + ", blockSize=" + blockSize + ", uploadParallelism=" + uploadParallelism + ", maxAttempts=" + maxAttempts
        + ", readTimeout=" + readTimeout + "]";
  }
}
