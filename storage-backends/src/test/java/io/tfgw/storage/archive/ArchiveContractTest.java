package io.tfgw.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageRouter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract for paths inside an archive. Each test runs against the staged view (what a command sees
 * while writing); afterwards the archive is committed and read back by a fresh router, which must see exactly the
 * same files with the same bytes.
 */
abstract class ArchiveContractTest extends AbstractStorageContractTest {
  @TempDir Path dir;
  private StorageRouter router;
  private Location root;

  /** Where the archive lives, given a temp dir. */
  protected abstract Location container(Path dir);

  private StorageRouter router() {
    if (router == null) {
      router = StorageRouter.create();
    }
    return router;
  }

  @Override
  protected Storage storage() {
    return router().backendFor(root());
  }

  @Override
  protected Location root() {
    if (root == null) {
      root = Location.inArchive(container(dir), "root");
    }
    return root;
  }

  @Override
  protected int concurrentReadsPerThread() {
    return 50;
  }

  @AfterEach
  void committedArchiveHoldsWhatTheStagedViewShowed() {
    List<FileEntry> staged = router.list(root);
    List<byte[]> contents = staged.stream().map(e -> router.inputFile(e.location()).readAllBytes()).toList();
    router.commit();
    try (ArchiveStorage fresh = new ArchiveStorage(router)) { // indexes the archive anew, from its container
      List<FileEntry> committed = fresh.list(root);
      assertThat(committed).isEqualTo(staged);
      for (int i = 0; i < committed.size(); i++) {
        assertThat(fresh.inputFile(committed.get(i).location()).readAllBytes()).isEqualTo(contents.get(i));
      }
    } finally {
      router.close();
    }
  }
}
