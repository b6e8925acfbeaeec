package io.tfgw.storage.azure;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** Azure Blob Storage under {@code az://account/container/path} (and abfs[s]://, wasb[s]:// spellings). */
public final class AzureStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.AZURE);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new AzureStorage(AzureSettings.from(options));
  }
}
