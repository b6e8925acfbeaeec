package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import java.util.OptionalLong;
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
    String cap = options.get("archive.max-inflated-bytes").orElse(null);
    try {
      return new ArchiveStorage(router, cap == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(cap.trim())));
    } catch (NumberFormatException e) {
      throw new io.tfgw.core.storage.StorageException("Option archive.max-inflated-bytes must be a whole number of bytes, not '"
          + cap + "'");
    }
  }
}
