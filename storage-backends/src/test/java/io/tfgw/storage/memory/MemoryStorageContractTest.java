package io.tfgw.storage.memory;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import org.junit.jupiter.api.AfterEach;

class MemoryStorageContractTest extends AbstractStorageContractTest {
  private final MemoryStorage storage = new MemoryStorage();

  @Override
  protected Storage storage() {
    return storage;
  }

  @Override
  protected Location root() {
    return Location.parse("memory://contract/root");
  }

  @AfterEach
  void nothingLeaks() {
    storage.assertNoOpenFiles();
  }
}
