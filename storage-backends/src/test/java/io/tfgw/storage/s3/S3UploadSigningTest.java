package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an upload's request says about its body: which checksum the store is to verify, and how it is signed. */
class S3UploadSigningTest {
  @Test
  void loopbackHttpUploadsAreUnsignedAndCarryTheCrc32cTheStoreChecks() throws Exception {
    List<String> headers = firstRequestHeaders(endpoint -> {
      try (S3Storage s3 = new S3Storage(S3Settings.from(StorageOptions.builder().set("s3.endpoint", endpoint)
          .set("s3.path-style", "true").set("s3.region", "us-east-1").set("s3.access-key-id", "k")
          .set("s3.secret-access-key", "s").set("s3.max-attempts", "1").build()))) {
        assertThatThrownBy(() -> s3.outputFile(Location.parse("s3://bkt/a.bin")).write(new byte[] {1, 2, 3}));
      }
    });
    assertThat(headers).contains("x-amz-content-sha256: UNSIGNED-PAYLOAD")
        .contains("x-amz-checksum-crc32c: " + java.util.Base64.getEncoder().encodeToString(
            java.nio.ByteBuffer.allocate(4).putInt(crc32c(new byte[] {1, 2, 3})).array()))
        .noneMatch(h -> h.startsWith("content-md5:"))
        .noneMatch(h -> h.startsWith("content-encoding: aws-chunked"));
    assertThat(headers.stream().filter(h -> h.startsWith("authorization: AWS4-HMAC-SHA256")).findFirst().orElseThrow())
        .contains("x-amz-checksum-crc32c").contains("x-amz-content-sha256"); // both signed
  }

  @Test
  void onlyPlainHttpToThisMachineQualifies() {
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://127.0.0.1:9000"))).isTrue();
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://localhost:9000"))).isTrue();
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://[::1]:9000"))).isTrue();
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://10.0.0.5:9000"))).isFalse();
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://minio.internal:9000"))).isFalse();
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("http://127.0.0.1"))).isFalse(); // port 80
    assertThat(LoopbackUnsignedPayload.appliesTo(URI.create("https://127.0.0.1:9000"))).isFalse(); // TLS: the SDK's own
  }

  private static int crc32c(byte[] b) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(b);
    return (int) c.getValue();
  }

  /** Runs {@code client} against a server on 127.0.0.1 that records the first request's headers and answers 400. */
  private static List<String> firstRequestHeaders(java.util.function.Consumer<String> client) throws Exception {
    List<String> headers = new ArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket s = server.accept()) {
          BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
          for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.add(colon < 0 ? line : line.substring(0, colon).toLowerCase() + line.substring(colon));
          }
          OutputStream out = s.getOutputStream();
          out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        } catch (java.io.IOException e) {
          // the test fails on the missing headers
        }
      });
      t.start();
      client.accept("http://127.0.0.1:" + server.getLocalPort());
      t.join(10_000);
    }
    return headers;
  }
}
