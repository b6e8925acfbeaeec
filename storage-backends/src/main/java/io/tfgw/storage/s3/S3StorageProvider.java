package io.tfgw.storage.s3;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageProvider;
import io.tfgw.core.storage.StorageRouter;
import java.util.Set;

/** Amazon S3 and S3-compatible stores under {@code s3://bucket/key}. */
public final class S3StorageProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of(Location.S3);
  }

  @Override
  public Storage create(StorageOptions options, StorageRouter router) {
    return new S3Storage(S3Settings.from(options));
  }
}
