package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import java.nio.file.Path;

class TarArchiveContractTest extends ArchiveContractTest {
  @Override
  protected Location container(Path dir) {
    return Location.local(dir.resolve("sub dir/test.tar"));
  }
}
