package io.tfgw.converters.manage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listing and pruning checkpoints on a storage (the in-memory one: the logic sees only the Storage interface). */
class CheckpointManagementTest {
  private final StorageRouter storage = StorageRouter.create();
  private final Location dir = Location.parse("memory://runs/train");

  @AfterEach
  void close() {
    storage.close();
  }

  private void file(String name, int bytes) {
    storage.outputFile(dir.resolve(name)).write(new byte[bytes]);
  }

  private void checkpoint(long step) {
    file("model.ckpt-" + step + ".index", 100);
    file("model.ckpt-" + step + ".data-00000-of-00002", 1000);
    file("model.ckpt-" + step + ".data-00001-of-00002", 10);
    file("model.ckpt-" + step + ".meta", 50);
  }

  private void state(String text) {
    storage.outputFile(dir.resolve("checkpoint")).write(text.getBytes(StandardCharsets.UTF_8));
  }

  private String state() {
    return new String(storage.inputFile(dir.resolve("checkpoint")).readAllBytes(), StandardCharsets.UTF_8);
  }

  private List<Long> stepsOnStorage() {
    return new CheckpointCatalog(storage).list(dir).checkpoints().stream().map(CheckpointEntry::step).toList();
  }

  @Test
  void listsCheckpointsWithStepsSizesAndTheLatest() {
    for (long s : new long[] {1000, 200, 3000}) {
      checkpoint(s);
    }
    file("model.ckpt-3000.index".replace("3000", "4000"), 100); // an index without data: incomplete
    file("events.out.tfevents.1", 7);
    file("graph.pbtxt", 9);
    state("model_checkpoint_path: \"/other/machine/train/model.ckpt-1000\"\nall_model_checkpoint_paths: \"model.ckpt-1000\"\n");
    CheckpointListing l = new CheckpointCatalog(storage).list(dir);
    assertThat(l.checkpoints()).extracting(CheckpointEntry::step).containsExactly(200L, 1000L, 3000L, 4000L);
    assertThat(l.checkpoints()).extracting(CheckpointEntry::latest).containsExactly(false, true, false, false);
    assertThat(l.checkpoints()).extracting(CheckpointEntry::complete).containsExactly(true, true, true, false);
    assertThat(l.checkpoints().get(0).bytes()).isEqualTo(1160);
    assertThat(l.checkpoints().get(0).files()).hasSize(4);
    assertThat(l.latest()).isEqualTo(dir.resolve("model.ckpt-1000"));
    assertThat(l.otherFiles()).extracting(f -> f.location().fileName())
        .containsExactly("checkpoint", "events.out.tfevents.1", "graph.pbtxt");
  }

  @Test
  void incompleteCheckpointsAreListedWithTheirMissingDataFilesNamed() {
    checkpoint(100);
    storage.delete(dir.resolve("model.ckpt-100.data-00001-of-00002"));
    Location allGone = dir.resolve("model.ckpt-200");
    try (BundleWriter w = new BundleWriter(storage, allGone, 3, 1)) {
      for (int shard = 0; shard < 3; shard++) {
        w.add("v" + shard, new InMemoryTensorData(DType.FLOAT, Shape.of(2), new byte[8]), shard);
      }
      w.commit();
    }
    for (int shard = 0; shard < 3; shard++) {
      storage.delete(BundleFiles.data(allGone, shard, 3)); // the index alone says there were 3
    }
    file("model.ckpt-300.index", 100); // not even an index
    CheckpointListing l = new CheckpointCatalog(storage).list(dir);
    assertThat(l.checkpoints()).extracting(CheckpointEntry::complete).containsExactly(false, false, false);
    assertThat(l.checkpoints().get(0).missingFiles()).containsExactly(dir.resolve("model.ckpt-100.data-00001-of-00002"));
    assertThat(l.checkpoints().get(1).missingFiles()).containsExactly(BundleFiles.data(allGone, 0, 3),
        BundleFiles.data(allGone, 1, 3), BundleFiles.data(allGone, 2, 3));
    assertThat(l.checkpoints().get(2).missingFiles()).isEmpty();
    assertThat(l.warnings()).hasSize(3);
    assertThat(l.warnings().get(0)).isEqualTo(BundleFiles.missingDataWarning(dir.resolve("model.ckpt-100"), 2,
        List.of(dir.resolve("model.ckpt-100.data-00001-of-00002"))));
    assertThat(l.warnings().get(0)).startsWith("Checkpoint memory://runs/train/model.ckpt-100 is incomplete: its "
        + "index expects 2 data file(s) but model.ckpt-100.data-00001-of-00002 is missing. Its variables are listed "
        + "from the index alone");
    assertThat(l.warnings().get(1)).contains("its index expects 3 data file(s) but model.ckpt-200.data-00000-of-00003, "
        + "model.ckpt-200.data-00001-of-00003, model.ckpt-200.data-00002-of-00003 are missing");
    assertThat(l.warnings().get(2)).startsWith("Checkpoint memory://runs/train/model.ckpt-300 has no data files and "
        + "its index cannot be read: ");
  }

  @Test
  void pruneKeepsTheNewestAndRewritesTheStateFileFirst() {
    for (long s = 1; s <= 5; s++) {
      checkpoint(s * 100);
    }
    state("model_checkpoint_path: \"model.ckpt-500\"\n" + "all_model_checkpoint_paths: \"model.ckpt-100\"\n".repeat(1)
        + "all_model_checkpoint_paths: \"model.ckpt-200\"\nall_model_checkpoint_paths: \"model.ckpt-300\"\n"
        + "all_model_checkpoint_paths: \"model.ckpt-400\"\nall_model_checkpoint_paths: \"model.ckpt-500\"\n");
    Pruner pruner = new Pruner(storage);
    PrunePlan plan = pruner.plan(dir, 2, null);
    assertThat(plan.deleted()).extracting(CheckpointEntry::step).containsExactly(100L, 200L, 300L);
    pruner.apply(plan);
    assertThat(stepsOnStorage()).containsExactly(400L, 500L);
    assertThat(state()).isEqualTo("model_checkpoint_path: \"model.ckpt-500\"\n"
        + "all_model_checkpoint_paths: \"model.ckpt-400\"\nall_model_checkpoint_paths: \"model.ckpt-500\"\n");
    assertThat(storage.exists(dir.resolve("model.ckpt-100.meta"))).isFalse();
    // again: nothing more to do
    assertThat(pruner.plan(dir, 2, null).deleted()).isEmpty();
  }

  @Test
  void theLatestIsKeptEvenWhenItIsNotTheHighestStep() {
    for (long s : new long[] {1, 2, 3}) {
      checkpoint(s);
    }
    state("model_checkpoint_path: \"model.ckpt-1\"\nall_model_checkpoint_paths: \"model.ckpt-2\"\n"
        + "all_model_checkpoint_paths: \"model.ckpt-3\"\nall_model_checkpoint_paths: \"model.ckpt-1\"\n");
    Pruner pruner = new Pruner(storage);
    pruner.apply(pruner.plan(dir, 1, null));
    assertThat(stepsOnStorage()).containsExactly(1L);
  }

  @Test
  void checkpointsTheStateFileDoesNotListAreLeftAloneButBrokenOnesGo() {
    for (long s : new long[] {1, 2, 3, 4}) {
      checkpoint(s);
    }
    storage.delete(dir.resolve("model.ckpt-2.data-00000-of-00002"));
    state("model_checkpoint_path: \"model.ckpt-4\"\nall_model_checkpoint_paths: \"model.ckpt-3\"\n"
        + "all_model_checkpoint_paths: \"model.ckpt-4\"\n");
    Pruner pruner = new Pruner(storage);
    PrunePlan plan = pruner.plan(dir, 1, null);
    assertThat(plan.unlisted()).extracting(CheckpointEntry::step).containsExactly(1L);
    assertThat(plan.deleted()).extracting(CheckpointEntry::step).containsExactly(2L, 3L);
    pruner.apply(plan);
    assertThat(stepsOnStorage()).containsExactly(1L, 4L);
    assertThat(storage.list(dir)).noneMatch(f -> f.location().fileName().startsWith("model.ckpt-2"));
  }

  @Test
  void keepEveryHoursPreservesOnePerPeriodLikeSaver() {
    StringBuilder s = new StringBuilder("model_checkpoint_path: \"model.ckpt-9\"\n");
    for (int i = 0; i < 10; i++) {
      checkpoint(i);
      s.append("all_model_checkpoint_paths: \"model.ckpt-").append(i).append("\"\n");
    }
    for (int i = 0; i < 10; i++) {
      s.append("all_model_checkpoint_timestamps: ").append(1_700_000_000 + i * 1800).append("\n"); // every 30 min
    }
    state(s.toString());
    Pruner pruner = new Pruner(storage);
    PrunePlan plan = pruner.plan(dir, 3, 2.0); // keep 7, 8, 9; of 0..6 one per 2 h: 0 and 4
    assertThat(plan.kept()).extracting(CheckpointEntry::step).containsExactly(7L, 8L, 9L);
    assertThat(plan.preserved()).extracting(CheckpointEntry::step).containsExactly(0L, 4L);
    pruner.apply(plan);
    assertThat(stepsOnStorage()).containsExactly(0L, 4L, 7L, 8L, 9L);
    assertThat(state()).contains("last_preserved_timestamp: 1.7000072E9")
        .doesNotContain("model.ckpt-4\"").contains("all_model_checkpoint_paths: \"model.ckpt-7\"");
    // pruning again with the same settings keeps the same checkpoints
    assertThat(pruner.plan(dir, 3, 2.0).deleted()).isEmpty();
  }

  @Test
  void keepEveryHoursWithoutTimesIsExplained() {
    checkpoint(1);
    checkpoint(2);
    assertThatThrownBy(() -> new Pruner(storage).plan(dir, 1, 1.0)).isInstanceOf(WrongInputException.class)
        .hasMessageContaining("needs the time of each checkpoint");
    assertThatThrownBy(() -> new Pruner(storage).plan(dir, 0, null)).hasMessageContaining("at least 1");
  }

  @Test
  void copiesAPrefixADirectoryAndVerifiesEachFile() {
    checkpoint(7);
    file("sub/x.bin", 3);
    Copier copier = new Copier(storage, 3);
    Location other = Location.parse("memory://other/dst");
    CopyResult r = copier.copy(copier.plan(dir.resolve("model.ckpt-7"), other.resolve("renamed"), false, false),
        CopyListener.NONE);
    assertThat(r.files()).isEqualTo(4);
    assertThat(r.verifiedByReading()).isEqualTo(4);
    assertThat(storage.list(other)).extracting(e -> e.location().fileName()).containsExactly("renamed.data-00000-of-00002",
        "renamed.data-00001-of-00002", "renamed.index", "renamed.meta");
    assertThatThrownBy(() -> copier.plan(dir, other, false, false)).hasMessageContaining("--recursive");
    copier.copy(copier.plan(dir, other.resolve("tree"), false, true), CopyListener.NONE);
    assertThat(storage.list(other.resolve("tree"))).hasSize(5);
    assertThat(storage.exists(other.resolve("tree/sub/x.bin"))).isTrue();
  }

  @Test
  void filesThatPublishAModelArriveAfterEverythingElse() {
    checkpoint(3);
    state("model_checkpoint_path: \"model.ckpt-3\"\n");
    file("saved_model.pb", 20);
    List<Location> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Copier copier = new Copier(storage, 4);
    copier.copy(copier.plan(dir, Location.parse("memory://other/tree"), false, true), new CopyListener() {
      @Override
      public void finished(Transfer t) {
        order.add(t.destination());
      }
    });
    assertThat(order).hasSize(6);
    List<String> names = order.stream().map(Location::fileName).toList();
    assertThat(names.subList(3, 6)).containsExactlyInAnyOrder("model.ckpt-3.index", "checkpoint", "saved_model.pb");
  }

  @Test
  void aFailedCopyNeverPublishes() {
    checkpoint(4);
    Location to = Location.parse("memory://other/failed");
    Copier copier = new Copier(storage, 1);
    List<Transfer> plan = new java.util.ArrayList<>(copier.plan(dir.resolve("model.ckpt-4"), to.resolve("m"), false, false));
    // a source that vanished between planning and copying: the data shard's copy fails
    storage.delete(dir.resolve("model.ckpt-4.data-00001-of-00002"));
    assertThatThrownBy(() -> copier.copy(plan, CopyListener.NONE)).hasMessageContaining("model.ckpt-4.data-00001-of-00002");
    assertThat(storage.exists(to.resolve("m.index"))).isFalse();
  }
}
