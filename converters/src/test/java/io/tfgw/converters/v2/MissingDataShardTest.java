package io.tfgw.converters.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A V2 bundle with a data shard missing: {@link BundleReader#open} refuses it, {@link BundleReader#openForListing}
 * lists every tensor from the index (as TF's NewCheckpointReader does) and fails only on reading a tensor stored in
 * the missing shard. TF itself is the judge of the same situation in fixtures' MissingDataShardOracleTest.
 */
class MissingDataShardTest {
  private final MemoryStorage storage = new MemoryStorage();
  private final Location prefix = Location.parse("memory://t/run/model.ckpt-5");
  private final Location shard1 = BundleFiles.data(prefix, 1, 3);
  private final Location shard2 = BundleFiles.data(prefix, 2, 3);
  private final String incomplete = "Checkpoint memory://t/run/model.ckpt-5 is incomplete: its index expects 3 data "
      + "file(s) but model.ckpt-5.data-00001-of-00003 is missing. Copy all files of the checkpoint (model.ckpt-5.index "
      + "and model.ckpt-5.data-*) together.";

  @BeforeEach
  void write() {
    try (BundleWriter w = new BundleWriter(storage, prefix, 3, 1)) {
      w.add("dense/kernel", new InMemoryTensorData(DType.FLOAT, Shape.of(2, 3), new byte[24]), 0);
      w.add("dense/bias", new InMemoryTensorData(DType.HALF, Shape.of(3), new byte[6]), 1);
      w.add("step", new InMemoryTensorData(DType.INT64, Shape.scalar(), new byte[8]), 2);
      w.addSlice("emb", Shape.of(4, 2), TensorSlice.parse("0,2:-"),
          new InMemoryTensorData(DType.FLOAT, Shape.of(2, 2), new byte[16]), 0);
      w.addSlice("emb", Shape.of(4, 2), TensorSlice.parse("2,2:-"),
          new InMemoryTensorData(DType.FLOAT, Shape.of(2, 2), new byte[16]), 1);
      w.commit();
    }
    storage.delete(shard1);
  }

  @AfterEach
  void noLeaks() {
    storage.assertNoOpenFiles();
  }

  private static long length(InputStream in) throws Exception {
    try (in) {
      return in.readAllBytes().length;
    }
  }

  @Test
  void openingToReadIsRefusedNamingTheMissingFile() {
    assertThatThrownBy(() -> BundleReader.open(storage, prefix)).isInstanceOf(WrongInputException.class)
        .hasMessage(incomplete);
  }

  @Test
  void listingWorksFromTheIndexAndOnlyTensorsInTheMissingFileCannotBeRead() throws Exception {
    try (BundleReader r = BundleReader.openForListing(storage, prefix)) {
      assertThat(r.missingDataFiles()).containsExactly(shard1);
      assertThat(r.tensors()).extracting(TensorInfo::name).containsExactly("dense/bias", "dense/kernel", "emb", "step");
      assertThat(r.require("dense/bias").dtype()).isEqualTo(DType.HALF);
      assertThat(r.require("emb").shape()).isEqualTo(Shape.of(4, 2));
      assertThat(r.require("emb").slices()).hasSize(2);
      assertThat(length(r.read("dense/kernel").open())).isEqualTo(24);
      assertThat(length(r.read("step").open())).isEqualTo(8);
      assertThat(length(r.readSlice("emb", TensorSlice.parse("0,2:-")).open())).isEqualTo(16);
      assertThatThrownBy(() -> r.read("dense/bias")).isInstanceOf(WrongInputException.class).hasMessage(incomplete);
      assertThatThrownBy(() -> r.read("emb")).isInstanceOf(WrongInputException.class).hasMessage(incomplete);
    }
  }

  @Test
  void everyMissingFileIsNamed() {
    storage.delete(shard2);
    assertThatThrownBy(() -> BundleReader.open(storage, prefix)).hasMessageContaining("its index expects 3 data "
        + "file(s) but model.ckpt-5.data-00001-of-00003, model.ckpt-5.data-00002-of-00003 are missing.");
    try (BundleReader r = BundleReader.openForListing(storage, prefix)) {
      assertThat(r.missingDataFiles()).containsExactly(shard1, shard2);
    }
  }

  @Test
  void aTruncatedShardIsStillRefusedWhenListing() {
    storage.outputFile(BundleFiles.data(prefix, 0, 3)).write(new byte[3]);
    assertThatThrownBy(() -> BundleReader.openForListing(storage, prefix)).isInstanceOf(WrongInputException.class)
        .hasMessageContaining("holds 3 bytes but the index needs");
  }

  @Test
  void theHeaderAloneGivesTheShardCount() {
    assertThat(BundleReader.numShardsOf(storage, prefix)).isEqualTo(3);
  }
}
