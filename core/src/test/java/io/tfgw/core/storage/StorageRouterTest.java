package io.tfgw.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The router as a command's unit of work: commit publishes staged backends, close discards what was not. */
class StorageRouterTest {
  private final List<String> events = new ArrayList<>();

  private final class Staged implements StagedStorage {
    boolean staged = true;
    boolean failCommit;

    @Override
    public boolean hasStaged() {
      return staged;
    }

    @Override
    public void commitStaged() {
      if (failCommit) {
        throw new StorageException("commit failed");
      }
      events.add("commit");
      staged = false;
    }

    @Override
    public void abortStaged() {
      events.add("abort");
      staged = false;
    }

    @Override
    public InputFile inputFile(Location location) {
      throw new UnsupportedOperationException();
    }

    @Override
    public OutputFile outputFile(Location location) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<FileEntry> list(Location directory) {
      return List.of();
    }

    @Override
    public void delete(Location location) {}
  }

  private StorageRouter routerWith(Staged backend) {
    return StorageRouter.create().register(new StorageProvider() {
      @Override
      public Set<String> schemes() {
        return Set.of(Location.ARCHIVE);
      }

      @Override
      public Storage create(StorageOptions options, StorageRouter router) {
        return backend;
      }
    });
  }

  @Test
  void commitPublishesAndCloseAfterwardsHasNothingToDiscard() {
    Staged backend = new Staged();
    try (StorageRouter router = routerWith(backend)) {
      router.list(Location.parse("x.zip!/"));
      assertThat(router.capability(StagedStorage.class, Location.parse("x.zip!/a"))).containsSame(backend);
      router.commit();
    }
    assertThat(events).containsExactly("commit", "abort");
    assertThat(backend.hasStaged()).isFalse();
  }

  @Test
  void closeWithoutCommitDiscardsAndAFailedCommitDiscardsToo() {
    try (StorageRouter router = routerWith(new Staged())) {
      router.list(Location.parse("x.zip!/"));
    }
    assertThat(events).containsExactly("abort");
    events.clear();
    Staged failing = new Staged();
    failing.failCommit = true;
    try (StorageRouter router = routerWith(failing)) {
      router.list(Location.parse("x.zip!/"));
      assertThatThrownBy(router::commit).hasMessageContaining("commit failed");
      assertThat(events).containsExactly("abort");
    }
  }
}
