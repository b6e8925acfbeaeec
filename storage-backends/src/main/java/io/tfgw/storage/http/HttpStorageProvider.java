package io.tfgw.storage.http;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** Read-only files on web servers under {@code http://} and {@code https://}. */
public final class HttpStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.HTTP, Location.HTTPS);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new HttpStorage(HttpSettings.from(options));
  }
}
