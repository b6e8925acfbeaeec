package io.tfgw.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.storage.s3.S3Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GcsSettingsTest {
  @Test
  void hmacKeysComeFromOptionsOrTheEnvironmentAndReachGcsXmlApi() {
    S3Settings fromEnv = GcsStorageProvider.settings(StorageOptions.defaults(),
        Map.of("GCS_HMAC_ACCESS_KEY_ID", "GOOG1EXAMPLEKEY", "GCS_HMAC_SECRET", "very-secret-value"));
    assertThat(fromEnv.endpoint()).hasValueSatisfying(u -> assertThat(u.toString()).isEqualTo("https://storage.googleapis.com"));
    assertThat(fromEnv.region()).hasValue("auto");
    assertThat(fromEnv.pathStyle()).isTrue();
    assertThat(fromEnv.googleCloudStorage()).isTrue();
    assertThat(fromEnv.accessKeyId()).hasValue("GOOG1EXAMPLEKEY");
    assertThat(fromEnv.toString()).doesNotContain("very-secret-value").contains("****");

    S3Settings fromOptions = GcsStorageProvider.settings(StorageOptions.builder()
        .set("gcs.hmac-access-key-id", "K").set("gcs.hmac-secret", "S").set("gcs.endpoint", "http://127.0.0.1:9")
        .set("s3.max-attempts", "2").build(), Map.of("GCS_HMAC_ACCESS_KEY_ID", "ignored", "GCS_HMAC_SECRET", "ignored"));
    assertThat(fromOptions.accessKeyId()).hasValue("K");
    assertThat(fromOptions.maxAttempts()).isEqualTo(2);
    assertThat(fromOptions.endpoint().get().toString()).isEqualTo("http://127.0.0.1:9");
  }

  @Test
  void withoutAnyCredentialsTheErrorSaysWhereToGetThem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path emptyGcloud) {
    Map<String, String> nothing = Map.of("CLOUDSDK_CONFIG", emptyGcloud.toString(), "NO_GCE_CHECK", "true");
    assertThatThrownBy(() -> GcsStorageProvider.settings(StorageOptions.defaults(), nothing))
        .isInstanceOf(StorageException.class).hasMessageContaining("application-default login")
        .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS").hasMessageContaining("GCS_HMAC_ACCESS_KEY_ID")
        .hasMessageContaining("Interoperability");
    assertThatThrownBy(() -> GcsStorageProvider.settings(StorageOptions.defaults(), Map.of("GCS_HMAC_ACCESS_KEY_ID", "K")))
        .isInstanceOf(StorageException.class).hasMessageContaining("GCS_HMAC_SECRET");
  }
}
