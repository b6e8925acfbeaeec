package io.tfgw.storage.memory;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** In-memory files under {@code memory://}; one store per router. */
public final class MemoryStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.MEMORY);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new MemoryStorage();
  }
}
