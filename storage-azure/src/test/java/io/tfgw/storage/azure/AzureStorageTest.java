package io.tfgw.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Azure specifics on Azurite: credentials, errors, a blob replaced mid-read, and Azurite killed mid-upload. */
class AzureStorageTest {
  @TempDir Path data;

  private static byte[] random(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void killedMidUploadLeavesNothingVisible() throws Exception {
    Location loc = Location.parse("az://" + AzuriteServer.ACCOUNT + "/models/run/model.ckpt.data-00000-of-00001");
    byte[] content = random(3 << 20, 1);
    Location witness = loc.parent().resolve("checkpoint");
    AzuriteServer server = AzuriteServer.start(data, 0);
    int port = server.port();
    try (AzureStorage storage = new AzureStorage(AzureSettings.from(server.options()
        .set("azure.block-size", String.valueOf(1 << 20)).set("azure.max-attempts", "1").build()))) {
      server.createContainer("models");
      storage.outputFile(witness).write(new byte[] {42});
      Thread.sleep(6_000); // Azurite saves its metadata to disk every 5 s: what was committed must survive the kill
      AtomicOutputStream out = storage.outputFile(loc).create();
      out.write(content, 0, (5 << 20) / 2); // two blocks staged, the third in the buffer
      Thread.sleep(500);
      server.kill();
      assertThatThrownBy(() -> {
        out.write(content, (5 << 20) / 2, content.length - (5 << 20) / 2);
        out.commit();
      }).isInstanceOf(StorageException.class).hasMessageContaining(loc.toString());
    } finally {
      server.kill();
    }
    // the same data directory, served again: the staged blocks were never committed, so there is no blob
    try (AzuriteServer again = AzuriteServer.start(data, port);
        AzureStorage storage = new AzureStorage(AzureSettings.from(again.options().build()))) {
      BlobContainerClient container = again.admin().getBlobContainerClient("models");
      assertThat(container.exists()).as("the container survived the restart").isTrue();
      assertThat(storage.inputFile(witness).readAllBytes()).as("a committed blob survived").containsExactly(42);
      assertThat(storage.exists(loc)).isFalse();
      assertThat(storage.list(loc.parent())).extracting(e -> e.location()).containsExactly(witness);
      assertThat(container.listBlobs()).hasSize(1);
      storage.outputFile(loc).write(content);
      assertThat(storage.inputFile(loc).readAllBytes()).isEqualTo(content);
    }
  }

  @Test
  void credentialsFromAConnectionStringAndClearErrors() {
    try (AzuriteServer server = AzuriteServer.start()) {
      server.createContainer("models");
      Location loc = Location.parse("az://" + AzuriteServer.ACCOUNT + "/models/a.bin");
      try (AzureStorage byConnectionString = new AzureStorage(AzureSettings.from(StorageOptions.builder()
          .set("azure.connection-string", server.connectionString()).build()))) {
        byConnectionString.outputFile(loc).write(new byte[] {1, 2, 3});
        assertThat(byConnectionString.inputFile(loc).readAllBytes()).containsExactly(1, 2, 3);
        Location otherAccount = Location.parse("az://someoneelse/models/a.bin");
        assertThatThrownBy(() -> byConnectionString.exists(otherAccount)).isInstanceOf(StorageException.class)
            .hasMessageContaining("connection string is for storage account 'devstoreaccount1'");
      }
      String wrongKey = java.util.Base64.getEncoder().encodeToString(random(64, 9));
      try (AzureStorage wrong = new AzureStorage(AzureSettings.from(StorageOptions.builder()
          .set("azure.endpoint", server.endpoint()).set("azure.account-key", wrongKey).build()))) {
        assertThatThrownBy(() -> wrong.exists(loc)).isInstanceOf(StorageException.class)
            .hasMessageContaining("Access denied").hasMessageContaining("account key").hasMessageNotContaining(wrongKey);
      }
      try (AzureStorage storage = new AzureStorage(AzureSettings.from(server.options().build()))) {
        Location noContainer = Location.parse("az://" + AzuriteServer.ACCOUNT + "/nosuch/a.bin");
        assertThatThrownBy(() -> storage.inputFile(noContainer).open()).isInstanceOf(LocationNotFoundException.class)
            .hasMessageContaining("No such container 'nosuch'");
      }
    }
  }

  @Test
  void aBlobReplacedMidReadFailsNamingIt() {
    try (AzuriteServer server = AzuriteServer.start();
        AzureStorage storage = new AzureStorage(AzureSettings.from(server.options().build()))) {
      server.createContainer("models");
      Location loc = Location.parse("az://" + AzuriteServer.ACCOUNT + "/models/v.bin");
      storage.outputFile(loc).write(random(10_000, 2));
      try (RandomAccessInput in = storage.inputFile(loc).open()) {
        in.readFully(0, 100);
        storage.outputFile(loc).write(random(10_000, 3));
        assertThatThrownBy(() -> in.readFully(100, 100)).isInstanceOf(StorageException.class)
            .hasMessageContaining(loc.toString()).hasMessageContaining("changed while tfgw was reading it");
      }
    }
  }

  @Test
  void aDeadEndpointFailsFastNamingIt() {
    try (AzureStorage storage = new AzureStorage(AzureSettings.from(StorageOptions.builder()
        .set("azure.endpoint", "http://127.0.0.1:1/devstoreaccount1").set("azure.account-key", AzuriteServer.KEY)
        .set("azure.max-attempts", "2").build()))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> storage.exists(Location.parse("az://devstoreaccount1/models/x")))
          .isInstanceOf(StorageException.class).hasMessageContaining("refuses connections");
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(20_000);
    }
  }
}
