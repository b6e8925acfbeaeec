package io.tfgw.storage.azure;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The storage contract on Azurite, started once for the class. */
class AzureStorageContractTest extends AbstractStorageContractTest {
  private static final AtomicInteger TESTS = new AtomicInteger();
  private static AzuriteServer server;
  private static AzureStorage storage;
  private final Location root = Location.parse("az://" + AzuriteServer.ACCOUNT + "/contract/test-" + TESTS.incrementAndGet());

  @BeforeAll
  static void startServer() {
    server = AzuriteServer.start();
    server.createContainer("contract");
    // 1 MiB blocks: the large file below is staged as several blocks in parallel and committed by its block list
    storage = new AzureStorage(AzureSettings.from(server.options().set("azure.block-size", String.valueOf(1 << 20)).build()));
  }

  @AfterAll
  static void stopServer() {
    storage.close();
    server.close();
  }

  @Override
  protected Storage storage() {
    return storage;
  }

  @Override
  protected Location root() {
    return root;
  }

  @Override
  protected int concurrentReadsPerThread() {
    return 20;
  }

  @Override
  protected boolean supportsConditionalWrites() {
    return true;
  }
}
