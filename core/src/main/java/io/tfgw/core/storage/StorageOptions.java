package io.tfgw.core.storage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Settings for storage backends (an S3 endpoint, path-style addressing, ...). Keys are backend-defined strings
 * such as {@code s3.endpoint}; unset keys fall back to the backend's defaults (environment, default chains).
 */
public final class StorageOptions {
  private final Map<String, String> values;

  private StorageOptions(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** No settings: every backend uses its defaults. */
  public static StorageOptions defaults() {
    return new StorageOptions(Map.of());
  }

  /** A builder to set options one by one. */
  public static Builder builder() {
    return new Builder();
  }

  /** The value set for a key, if any. */
  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** Every option set, in the order set (unmodifiable). */
  public Map<String, String> asMap() {
    return values;
  }

  /** The options with secrets (keys naming a secret, token or password) masked, safe for logs and errors. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    values.forEach((k, v) -> {
      String key = k.toLowerCase(java.util.Locale.ROOT);
      boolean secret = key.contains("secret") || key.contains("token") || key.contains("password");
      b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(secret ? "****" : v);
    });
    return b.append('}').toString();
  }

  /** Collects options for {@link StorageOptions}. */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>();

    /** Sets a key; a null value leaves it unset (so optional flags pass through). */
    public Builder set(String key, String value) {
      if (value != null) {
        values.put(key, value);
      }
      return this;
    }

    /** The options set so far. */
    public StorageOptions build() {
      return new StorageOptions(values);
    }
  }
}
