package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** HDFS under {@code hdfs://namenode:port/path}. */
public final class HdfsStorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.HDFS);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new HdfsStorage(HdfsStorage.configuration(options));
  }
}
