package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import java.nio.file.Path;

class ZipArchiveContractTest extends ArchiveContractTest {
  @Override
  protected Location container(Path dir) {
    return Location.local(dir.resolve("test.zip"));
  }
}
