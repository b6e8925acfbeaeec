package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** Paths inside archives ({@code CONTAINER!/path}); containers are read and written through the router. */
public final class ArchiveStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.ARCHIVE);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new ArchiveStorage(router);
  }
}
