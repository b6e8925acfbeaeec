package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.StorageOptions;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3SettingsTest {
  @Test
  void endpointComesFromTheOptionThenTheServiceVariableThenTheGlobalOne() {
    Map<String, String> env = Map.of("AWS_ENDPOINT_URL", "http://global:1", "AWS_ENDPOINT_URL_S3", "http://s3only:2");
    assertThat(S3Settings.from(StorageOptions.defaults(), env).endpoint()).contains(URI.create("http://s3only:2"));
    assertThat(S3Settings.from(StorageOptions.defaults(), Map.of("AWS_ENDPOINT_URL", "http://global:1")).endpoint())
        .contains(URI.create("http://global:1"));
    assertThat(S3Settings.from(StorageOptions.builder().set("s3.endpoint", "minio:9000").build(), env).endpoint())
        .contains(URI.create("https://minio:9000"));
    assertThat(S3Settings.from(StorageOptions.defaults(), Map.of()).endpoint()).isEmpty();
  }

  @Test
  void defaultsAndValidation() {
    S3Settings s = S3Settings.from(StorageOptions.builder().set("s3.path-style", "true").build(), Map.of());
    assertThat(s.pathStyle()).isTrue();
    assertThat(s.partSize()).isEqualTo(S3Settings.DEFAULT_PART_SIZE);
    assertThat(s.maxAttempts()).isEqualTo(5);
    assertThatThrownBy(() -> S3Settings.from(StorageOptions.builder().set("s3.access-key-id", "k").build(), Map.of()))
        .hasMessageContaining("both");
    assertThatThrownBy(() -> S3Settings.from(StorageOptions.builder().set("s3.part-size", "lots").build(), Map.of()))
        .hasMessageContaining("whole number");
  }

  @Test
  void timeoutsAreBoundedAndConfigurable() {
    assertThat(S3Settings.from(StorageOptions.defaults(), Map.of()).socketTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
    assertThat(S3Settings.from(StorageOptions.builder().set("s3.socket-timeout-ms", "1500").build(), Map.of())
        .socketTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));
  }

  @Test
  void printedSettingsAndOptionsNeverShowTheSecret() {
    String secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    StorageOptions options = StorageOptions.builder().set("s3.access-key-id", "AKIDEXAMPLE")
        .set("s3.secret-access-key", secret).set("s3.session-token", "tok-123").build();
    assertThat(options.toString()).doesNotContain(secret).doesNotContain("tok-123").contains("AKIDEXAMPLE");
    assertThat(S3Settings.from(options, Map.of()).toString()).doesNotContain(secret).contains("****");
  }
}
