package io.tfgw.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.resolve.CheckpointStateFile;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.v1.V1Reader;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleReader;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.keras.KerasArchive;
import io.tfgw.converters.keras.KerasModel;
import io.tfgw.converters.keras.KerasSummary;
import io.tfgw.converters.keras.KerasWeightsFile;
import io.tfgw.core.table.SnappyBlocks;
import io.tfgw.core.table.TableEntry;
import io.tfgw.core.table.TableReader;
import io.tfgw.core.testing.ByteArrayInput;
import io.tfgw.converters.graph.GraphSource;
import io.tfgw.storage.memory.MemoryStorage;
import java.util.Iterator;
import java.util.List;

/**
 * Fuzz targets for every parser of untrusted bytes. In regression mode (the default, in CI) each runs its committed
 * seeds from {@code src/test/resources/io/tfgw/fuzz/ReadersFuzzTestInputs/<target>/}; with {@code JAZZER_FUZZ=1}
 * Jazzer mutates them. Only TfgwException may escape; no OOM under -Xmx256m, no hang.
 */
class ReadersFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void tableReader(byte[] input) {
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      TableReader table = TableReader.open(new ByteArrayInput("fuzz.index", input));
      Iterator<TableEntry> it = table.iterator();
      int n = 0;
      while (it.hasNext() && n++ < 100_000) {
        it.next();
      }
      table.find(new byte[] {0, 1, 2});
      table.find(new byte[0]);
    });
  }

  @FuzzTest(maxDuration = "30s")
  void snappyBlock(byte[] input) {
    Fuzzing.expectOnlyTfgwExceptions(() -> SnappyBlocks.uncompress(input, 0, input.length, "fuzz block"));
  }

  @FuzzTest(maxDuration = "30s")
  void v2Bundle(FuzzedDataProvider data) {
    byte[] index = data.consumeBytes(data.consumeInt(0, 1 << 16));
    byte[] shard = data.consumeRemainingAsBytes();
    MemoryStorage storage = new MemoryStorage();
    Location prefix = Location.parse("memory://fuzz/model.ckpt");
    storage.outputFile(BundleFiles.index(prefix)).write(index);
    storage.outputFile(BundleFiles.data(prefix, 0, 1)).write(shard);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      try (BundleReader r = BundleReader.open(storage, prefix)) {
        Fuzzing.readEverything(r);
      }
    });
    storage.assertNoOpenFiles();
  }

  @FuzzTest(maxDuration = "30s")
  void v1Checkpoint(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/model.ckpt");
    storage.outputFile(file).write(input);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      try (V1Reader r = V1Reader.open(storage, file, List.of(file))) {
        Fuzzing.readEverything(r);
      }
    });
    storage.assertNoOpenFiles();
  }

  /**
   * ONNX models: detection by content, the size-limited parse, every initializer decoded (claimed sizes checked
   * before allocating, external data confined to the model's directory), and the graph mapped to TF ops.
   */
  @FuzzTest(maxDuration = "30s")
  void onnxModel(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/dir/model.onnx");
    storage.outputFile(file).write(input);
    storage.outputFile(Location.parse("memory://fuzz/dir/model.onnx.data")).write(new byte[64]);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      new Resolver(storage).resolve(file);
      io.tfgw.converters.onnx.read.OnnxFile onnx = io.tfgw.converters.onnx.read.OnnxFile.parse(storage, file, input);
      try (CheckpointReader r = io.tfgw.converters.onnx.read.OnnxInitializers.open(storage, file)) {
        Fuzzing.readEverything(r);
      }
      io.tfgw.converters.onnx.read.OnnxImporter.importModel(onnx);
    });
  }

  @FuzzTest(maxDuration = "30s")
  void anyFileByContent(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/dir/saved_model.pb");
    storage.outputFile(file).write(input);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      var resolved = new Resolver(storage).resolve(file);
      if (resolved.format().equals("frozen") || resolved.format().equals("savedmodel")) {
        GraphSource.load(storage, resolved, null);
      } else {
        try (CheckpointReader r = Checkpoints.open(storage, resolved)) {
          Fuzzing.readEverything(r);
        }
      }
    });
  }

  @FuzzTest(maxDuration = "30s")
  void checkpointStateFile(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/train/checkpoint");
    storage.outputFile(file).write(input);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      CheckpointStateFile state = CheckpointStateFile.read(storage, file);
      for (String p : state.all()) {
        state.resolve(p, l -> false);
      }
    });
  }

  @FuzzTest(maxDuration = "30s")
  void hdf5File(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/model.h5");
    storage.outputFile(file).write(input);
    Fuzzing.expectOnlyTfgwExceptions(() -> {
      try (Hdf5Reader r = Hdf5Reader.open(storage, file)) {
        Fuzzing.readEverything(r);
      }
    });
    storage.assertNoOpenFiles();
  }

  /**
   * A {@code .keras} (or a Keras 3 {@code .weights.h5}) as bytes: found by content, opened as a checkpoint with every
   * variable read, summarised as inspect does, and built into a graph.
   */
  @FuzzTest(maxDuration = "30s")
  void kerasFile(byte[] input) {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/model.keras");
    storage.outputFile(file).write(input);
    Fuzzing.expectOnlyTfgwExceptions(() -> openEverything(storage, file));
    storage.assertNoOpenFiles();
  }

  /**
   * A Keras config ({@code config.json}) in a well-formed {@code .keras} beside real weights: the config parser, the
   * saving_lib weight layout and the graph builder over hostile JSON (a mutated zip rarely gets past its crc).
   */
  @FuzzTest(maxDuration = "30s")
  void kerasConfig(byte[] config) throws Exception {
    MemoryStorage storage = new MemoryStorage();
    Location file = Location.parse("memory://fuzz/model.keras");
    byte[] weights;
    try (var in = ReadersFuzzTest.class.getResourceAsStream("/io/tfgw/fuzz/keras/dense.keras");
        var zip = new java.util.zip.ZipInputStream(in)) {
      java.util.zip.ZipEntry e;
      while ((e = zip.getNextEntry()) != null && !e.getName().equals("model.weights.h5")) {
        // skip to the weights
      }
      weights = zip.readAllBytes();
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
      for (String name : List.of("metadata.json", "config.json", "model.weights.h5")) {
        zip.putNextEntry(new java.util.zip.ZipEntry(name));
        zip.write(name.equals("metadata.json") ? "{\"keras_version\": \"3.15.1\"}".getBytes()
            : name.equals("config.json") ? config : weights);
        zip.closeEntry();
      }
    }
    storage.outputFile(file).write(bytes.toByteArray());
    Fuzzing.expectOnlyTfgwExceptions(() -> openEverything(storage, file));
    storage.assertNoOpenFiles();
  }

  private static void openEverything(MemoryStorage storage, Location file) {
    var resolved = new Resolver(storage).resolve(file);
    try (CheckpointReader r = Checkpoints.open(storage, resolved)) {
      Fuzzing.readEverything(r);
      if (r instanceof KerasArchive a) {
        KerasSummary.describe(a);
      } else if (r instanceof KerasWeightsFile w) {
        KerasSummary.describe(w);
      }
    }
    try (KerasModel model = KerasModel.open(storage, file, null)) {
      model.metaGraph();
    }
  }

  /** The archive backend over hostile bytes: index it, list it, read every entry (zip, tar, tar.gz by content). */
  @FuzzTest(maxDuration = "30s")
  void archive(FuzzedDataProvider data) {
    String name = data.pickValue(new String[] {"a.zip", "a.tar", "a.tar.gz"});
    byte[] bytes = data.consumeRemainingAsBytes();
    try (StorageRouter router = StorageRouter.create()) {
      Location container = Location.parse("memory://fuzz/" + name);
      router.outputFile(container).write(bytes);
      Fuzzing.expectOnlyTfgwExceptions(() -> {
        for (FileEntry e : router.list(Location.parse(container + "!/"))) {
          byte[] content = router.inputFile(e.location()).readAllBytes();
          if (content.length != e.length()) {
            throw new AssertionError(e.location() + " listed with " + e.length() + " bytes, read " + content.length);
          }
        }
      });
    }
  }
}
