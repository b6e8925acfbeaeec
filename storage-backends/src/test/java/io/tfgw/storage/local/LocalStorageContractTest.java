package io.tfgw.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStorageContractTest extends AbstractStorageContractTest {
  @TempDir Path dir;
  private final LocalStorage storage = new LocalStorage();

  @Override
  protected Storage storage() {
    return storage;
  }

  @Override
  protected Location root() {
    return Location.local(dir);
  }

  @Override
  protected boolean hasRealDirectories() {
    return true;
  }

  @Test
  void abortLeavesNoTempFileBehind() throws Exception {
    try (AtomicOutputStream out = storage.outputFile(root().resolve("x/y.bin")).create()) {
      out.write(new byte[10]);
    }
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void pendingTempFilesAreHiddenFromListing() throws Exception {
    try (AtomicOutputStream out = storage.outputFile(root().resolve("y.bin")).create()) {
      out.write(new byte[10]);
      out.flush();
      try (Stream<Path> all = Files.list(dir)) {
        assertThat(all).hasSize(1); // the temp file is on disk ...
      }
      assertThat(storage.list(root())).isEmpty(); // ... but not listed
    }
  }

  @Override
  protected boolean supportsConditionalWrites() {
    return true;
  }
}
