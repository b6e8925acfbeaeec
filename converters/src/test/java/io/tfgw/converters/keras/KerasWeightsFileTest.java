package io.tfgw.converters.keras;

import static org.assertj.core.api.Assertions.assertThat;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.TensorHashes;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.storage.local.LocalStorage;
import io.tfgw.storage.memory.MemoryStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keras 3 weights layouts that the real files do not cover: Windows group names, numbering that skips. */
class KerasWeightsFileTest {
  @TempDir Path tmp;

  private static final String MODEL = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
      + "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"in\"}},"
      + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"first\", \"units\": 2}},"
      + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"second\", \"units\": 1}}]}}";

  private static void dense(WritableGroup vars, int in, int out) {
    float[][] kernel = new float[in][out];
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < out; j++) {
        kernel[i][j] = i * 10 + j + out;
      }
    }
    vars.putDataset("0", kernel);
    vars.putDataset("1", new float[out]);
  }

  private KerasWeightsFile open(Path h5, String config) {
    Hdf5Reader reader = Hdf5Reader.open(new LocalStorage(), Location.local(h5));
    assertThat(reader.layout()).isEqualTo("keras3");
    return KerasWeightsFile.of(reader, Location.local(h5), "hdf5",
        config == null ? null : KerasModelConfig.parse(config, "t"), null, null);
  }

  @Test
  void backslashesInGroupNamesAreSeparators() {
    // Keras 3 on Windows joined paths with os.path.join: one group named "layers\dense" at the root
    Path h5 = tmp.resolve("win.weights.h5");
    try (WritableHdfFile f = HdfFile.write(h5)) {
      dense(f.putGroup("layers\\dense").putGroup("vars"), 3, 2);
      dense(f.putGroup("layers\\dense_1").putGroup("vars"), 2, 1);
    }
    try (KerasWeightsFile w = open(h5, MODEL)) {
      assertThat(w.tensors()).extracting(TensorInfo::name)
          .containsExactly("first/bias", "first/kernel", "second/bias", "second/kernel");
      assertThat(w.read("second/kernel").shape().dims()).containsExactly(2, 1);
      assertThat(w.of(List.of("first"))).hasSize(2);
    }
    try (KerasWeightsFile w = open(h5, null)) { // by group names alone
      assertThat(w.tensors()).extracting(TensorInfo::name)
          .containsExactly("dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel");
    }
  }

  @Test
  void aGroupTheWalkDoesNotPredictIsTakenByClassAndOrder() {
    // tf.keras 2.13 would name these dense and dense_2; a file with dense_3 still maps, and says so
    Path h5 = tmp.resolve("skips.weights.h5");
    try (WritableHdfFile f = HdfFile.write(h5)) {
      WritableGroup layers = f.putGroup("_layer_checkpoint_dependencies");
      dense(layers.putGroup("dense").putGroup("vars"), 3, 2);
      dense(layers.putGroup("dense_3").putGroup("vars"), 2, 1);
    }
    try (KerasWeightsFile w = open(h5, MODEL)) {
      assertThat(w.dialect()).isEqualTo(KerasWeightLayout.Dialect.TF_KERAS_2_13);
      assertThat(w.tensors()).extracting(TensorInfo::name)
          .containsExactly("first/bias", "first/kernel", "second/bias", "second/kernel");
      assertThat(w.read("second/kernel").shape().dims()).containsExactly(2, 1);
      assertThat(w.notes()).singleElement().asString().contains("second").contains("_layer_checkpoint_dependencies/dense_3")
          .contains("matched by class and order");
    }
  }

  @Test
  void aKerasFileOnAnyStorageReadsAsOnDisk() throws Exception {
    Path real = Path.of("../fixtures/realworld/keras3/bi_lstm/lstm_model.keras");
    MemoryStorage memory = new MemoryStorage();
    Location there = Location.parse("memory://models/lstm_model.keras");
    memory.outputFile(there).write(Files.readAllBytes(real));
    Map<String, String> local = hashes(Checkpoints.open(new LocalStorage(), Location.local(real)));
    Map<String, String> remote = hashes(Checkpoints.open(memory, there));
    assertThat(remote).hasSize(26).isEqualTo(local);
    memory.assertNoOpenFiles();
  }

  private static Map<String, String> hashes(CheckpointReader reader) {
    try (reader) {
      assertThat(reader.format()).isEqualTo("keras");
      Map<String, String> out = new TreeMap<>();
      for (TensorInfo t : reader.tensors()) {
        out.put(t.name(), TensorHashes.sha256Hex(reader.read(t.name())));
      }
      return out;
    }
  }
}
