package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import java.nio.file.Path;

/** A tar.gz kept in the in-memory store: the container is read and written through the router. */
class TarGzArchiveContractTest extends ArchiveContractTest {
  @Override
  protected Location container(Path dir) {
    return Location.parse("memory://archives/" + dir.getFileName() + "/test.tar.gz");
  }
}
