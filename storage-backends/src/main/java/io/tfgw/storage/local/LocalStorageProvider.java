package io.tfgw.storage.local;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

public final class LocalStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.FILE);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new LocalStorage();
  }
}
