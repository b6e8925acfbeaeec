package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.hdf5.Hdf5Writer;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes Keras 3 files: a {@code .keras} ({@code convert --to keras}) or a {@code .weights.h5}
 * ({@code --to keras-weights}), from a {@code .keras}, a legacy Keras {@code .h5} full model (its config upgraded
 * by {@link KerasConfigUpgrade}, as Keras 3's legacy loader reads it), a weights file with {@code --keras-config}
 * (a legacy {@code save_weights} file, a Keras 3 {@code .weights.h5}), or any checkpoint whose variables carry
 * their Keras 3 paths ({@code dense/kernel}, as tfgw names them when it converts a {@code .keras}) with
 * {@code --keras-config}.
 *
 * <p>The weights go where Keras 3.15's {@code saving_lib} puts them ({@link KerasWeightLayout}, dialect KERAS3:
 * {@code layers/<class>[_N]/vars/<i>}, nested models as {@code layers/<model>/layers/...}), each {@code vars} group
 * named by a {@code name} attribute as Keras 3.9+ does; groups only for layers with variables (Keras before 3.9
 * wrote no others, and its loader reads a missing group as none). The optimizer's
 * variables ({@code optimizer/vars/<i>}) and the {@code compile_config} are kept when the source is a Keras 3
 * {@code .keras}, whose optimizer state is already in this layout; from any other source the model is written
 * uncompiled and without optimizer state (a legacy optimizer's slots do not map onto a Keras 3 optimizer's
 * variables one to one). The {@code .keras} zip holds {@code metadata.json}, {@code config.json} and
 * {@code model.weights.h5}, in that order and STORED (uncompressed), as Keras writes them, and appears atomically.
 */
public final class KerasFileWriter {
  /** The Keras version whose file layout and loader the written files follow (and are tested with). */
  public static final String KERAS_VERSION = "3.15.1";

  static final String METADATA = "metadata.json";
  static final String CONFIG = "config.json";
  static final String WEIGHTS = "model.weights.h5";

  /** What was written. */
  public record Result(Location source, String sourceFormat, Location destination, String format, int layers,
      int variables, int optimizerVariables, long bytes, List<String> notes) {}

  /** One dataset of the weights file: its path, and how to read it. */
  private record Dataset(String path, TensorInfo info, Supplier<TensorData> data) {}

  /** The model to write: its Keras 3 config, and where each layer's weights come from. */
  private record Source(String format, ObjectNode config, List<Dataset> datasets, Plan plan, int optimizer,
      List<String> notes, AutoCloseable file) implements AutoCloseable {
    int layers() {
      return plan.layers();
    }

    @Override
    public void close() {
      try {
        file.close();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private final Storage storage;

  public KerasFileWriter(Storage storage) {
    this.storage = storage;
  }

  /** {@code --to keras}. */
  public Result toKeras(Location source, Location destination, Location kerasConfig) {
    try (Source s = open(source, kerasConfig)) {
      long bytes = writeArchive(destination, s);
      return new Result(source, s.format(), destination, "keras", s.layers(), s.datasets().size() - s.optimizer(),
          s.optimizer(), bytes, s.notes());
    }
  }

  /** {@code --to keras-weights}: the weights file {@code model.save_weights("x.weights.h5")} writes. */
  public Result toKerasWeights(Location source, Location destination, Location kerasConfig) {
    try (Source s = open(source, kerasConfig)) {
      try (Hdf5Writer w = weightsWriter(s, destination)) {
        w.commit();
      }
      long bytes = s.datasets().stream().mapToLong(d -> d.info().shape().byteSize(d.info().dtype())).sum();
      return new Result(source, s.format(), destination, "keras-weights", s.layers(),
          s.datasets().size() - s.optimizer(), s.optimizer(), bytes, s.notes());
    }
  }

  // ---- sources ----

  private Source open(Location location, Location kerasConfig) {
    Resolved resolved = new Resolver(storage).resolve(location);
    List<String> notes = new ArrayList<>(resolved.notes());
    switch (resolved.format()) {
      case "keras":
        return fromArchive(resolved.target(), kerasConfig, notes);
      case "hdf5":
        return fromHdf5(resolved.target(), kerasConfig, notes);
      default: {
        if (kerasConfig == null) {
          throw new WrongInputException(location + " is a " + resolved.format() + " with no Keras architecture in "
              + "it: pass the model's with --keras-config (its .keras, a config.json, or model.to_json() output); "
              + "its variables must carry their Keras 3 paths (dense/kernel, lstm/lstm_cell/kernel)");
        }
        CheckpointReader reader = Checkpoints.open(storage, resolved);
        try {
          ObjectNode config = keras3Config(KerasModel.readConfig(storage, kerasConfig), kerasConfig.toString());
          Map<String, TensorInfo> byName = new HashMap<>();
          reader.tensors().forEach(t -> byName.put(t.name(), t));
          Plan plan = plan(config, kerasConfig.toString());
          List<Dataset> datasets = new ArrayList<>();
          List<String> missing = new ArrayList<>();
          for (Slot slot : plan.slots()) {
            TensorInfo t = byName.get(slot.variable());
            if (t == null) {
              missing.add(slot.variable());
            } else {
              datasets.add(new Dataset(slot.h5Path(), t, () -> reader.read(t.name())));
            }
          }
          if (!missing.isEmpty()) {
            throw new WrongInputException(location + " has no variables " + abbreviate(missing) + " that the model "
                + "of " + kerasConfig + " needs (by their Keras 3 paths); it holds " + abbreviate(
                byName.keySet().stream().sorted().toList()) + ". Is this the model these weights belong to? Rename "
                + "them first (convert --to v2 --rename) if they were saved under other names");
          }
          return new Source(resolved.format(), config, datasets, plan, 0, notes, reader);
        } catch (RuntimeException e) {
          reader.close();
          throw e;
        }
      }
    }
  }

  private Source fromArchive(Location location, Location kerasConfig, List<String> notes) {
    if (kerasConfig != null) {
      throw new WrongInputException("--keras-config is for weights-only files; " + location + " holds its own "
          + "config.json");
    }
    KerasArchive archive = KerasArchive.open(storage, location);
    try {
      if (archive.config() == null) {
        throw new UnsupportedInputException(archive.configProblem() + "; tfgw writes .keras files of Sequential "
            + "and functional models only");
      }
      KerasWeightsFile weights = archive.weights();
      boolean keras3 = weights.dialect() == KerasWeightLayout.Dialect.KERAS3;
      ObjectNode config;
      if (keras3) {
        config = ((ObjectNode) archive.configJson()).deepCopy(); // already Keras 3's: kept as Keras wrote it
      } else {
        config = KerasConfigUpgrade.upgrade(archive.configJson());
        notes.add("a tf.keras " + archive.kerasVersion() + " file: config upgraded to Keras 3's form; written "
            + "uncompiled, without optimizer state");
      }
      Plan plan = plan(config, location.toString());
      List<Dataset> datasets = byLayer(plan, weights, location);
      int optimizer = 0;
      if (keras3) {
        for (String tensor : weights.optimizerTensors()) {
          TensorInfo info = info(weights, tensor);
          datasets.add(new Dataset(weights.datasetPath(tensor), info, () -> weights.read(tensor)));
          optimizer++;
        }
      }
      notes.addAll(weights.notes());
      return new Source("keras", config, datasets, plan, optimizer, notes, archive);
    } catch (RuntimeException e) {
      archive.close();
      throw e;
    }
  }

  private Source fromHdf5(Location h5, Location kerasConfig, List<String> notes) {
    Hdf5Reader reader = Hdf5Reader.open(storage, h5);
    try {
      switch (reader.layout()) {
        case "keras": {
          String json;
          String where;
          if (kerasConfig != null) {
            json = KerasModel.readConfig(storage, kerasConfig);
            where = kerasConfig.toString();
          } else if (reader.modelConfig() != null) {
            json = reader.modelConfig();
            where = h5.toString();
          } else {
            throw new WrongInputException(h5 + " holds Keras weights only (save_weights), no model_config: pass "
                + "the model's architecture with --keras-config (model.to_json() output, or a .keras of the model)");
          }
          KerasModelConfig sourceConfig = KerasModelConfig.parse(json, where);
          ObjectNode config = keras3Config(json, where);
          LegacyKerasWeights weights = new LegacyKerasWeights(reader, sourceConfig);
          if (json.contains("\"hard_sigmoid\"")) {
            notes.add("the model uses hard_sigmoid, which Keras 2 computes as clip(0.2x + 0.5, 0, 1) and Keras 3 as "
                + "relu6(x + 3) / 6: Keras 3 predicts differently from Keras 2 on it, from this file as from the .h5");
          }
          Plan plan = plan(config, where);
          notes.add("a legacy Keras " + (reader.kerasVersion() == null ? "1.x" : reader.kerasVersion()) + " .h5"
              + (isKeras3(KerasModelConfig.readJson(json, where, "the model config")) ? ""
              : ": config upgraded to Keras 3's form") + "; written uncompiled, without optimizer state");
          return new Source("hdf5", config, byLayer(plan, weights, h5), plan, 0, notes, reader);
        }
        case "keras3": {
          if (kerasConfig == null) {
            throw new WrongInputException(h5 + " is a Keras 3 weights file (.weights.h5) with no architecture in "
                + "it: pass the model's with --keras-config (its .keras, a config.json, or model.to_json() output)");
          }
          String json = KerasModel.readConfig(storage, kerasConfig);
          KerasModelConfig sourceConfig = KerasModelConfig.parse(json, kerasConfig.toString());
          ObjectNode config = keras3Config(json, kerasConfig.toString());
          KerasWeightsFile weights = KerasWeightsFile.of(reader, h5, "hdf5", sourceConfig, null, null);
          Plan plan = plan(config, kerasConfig.toString());
          notes.addAll(weights.notes());
          return new Source("hdf5", config, byLayer(plan, weights, h5), plan, 0, notes, weights);
        }
        default:
          throw new WrongInputException(h5 + " is an HDF5 file but not a Keras model or weights file; to write a "
              + ".keras from its variables, convert it with --keras-config and variables named by their Keras 3 "
              + "paths");
      }
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /** A config from a file as Keras 3's: kept when it already is (minus the compile config), else upgraded. */
  private static ObjectNode keras3Config(String json, String where) {
    JsonNode root = KerasModelConfig.readJson(json, where, "the model config");
    if (root == null || !root.isObject() || !root.has("class_name")) {
      throw new WrongInputException(where + " is not a Keras model config (no class_name)");
    }
    if (isKeras3(root)) {
      ObjectNode copy = ((ObjectNode) root).deepCopy();
      copy.remove("compile_config");
      return copy;
    }
    return KerasConfigUpgrade.upgrade(root);
  }

  /** Keras 3 writes {@code module} on the model and every layer, and InputLayers with {@code batch_shape}. */
  private static boolean isKeras3(JsonNode root) {
    if (!root.has("module") || !root.path("config").isObject()) {
      return false;
    }
    for (JsonNode l : root.path("config").path("layers")) {
      if (!l.has("module") || l.path("config").has("batch_input_shape")) {
        return false;
      }
    }
    return true;
  }

  // ---- the layout ----

  /**
   * A variable's place: its dataset in the weights file, its Keras 3 path, and the name of the object that owns it
   * (the layer, or an RNN's cell: {@code lstm_cell}; Keras 3 stores it as the {@code vars} group's {@code name}).
   */
  private record Slot(List<String> layerPath, String className, String h5Path, String variable) {
    String owner() {
      String prefix = variable.substring(0, variable.lastIndexOf('/'));
      return prefix.substring(prefix.lastIndexOf('/') + 1);
    }
  }

  /**
   * The slots, the number of layers, and the {@code name} attribute Keras 3.15 gives each {@code vars} group: the
   * layer's, or that of the object holding the variables (an RNN's cell). Keras 3.15 also creates empty named
   * {@code vars} groups for layers without variables; those are left out (jhdf cannot write them, see
   * {@link Hdf5Writer#addGroupAttribute}; Keras's loader reads a missing group as no variables).
   */
  private record Plan(List<Slot> slots, int layers, Map<String, String> varsGroupNames) {}

  private static Plan plan(ObjectNode config, String where) {
    KerasModelConfig model = KerasModelConfig.fromJson(config, where, 0);
    List<Slot> slots = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    Map<String, String> varsGroups = new java.util.LinkedHashMap<>();
    int layers = 0;
    for (KerasWeightLayout.LayerVariables lv : KerasWeightLayout.plan(model, KerasWeightLayout.Dialect.KERAS3)) {
      layers++;
      varsGroups.put(lv.h5Root() + "/vars", lv.name());
      for (KerasWeightLayout.VarGroup g : lv.groups()) {
        if (!g.known()) {
          unknown.add(String.join("/", lv.layerPath()) + " (" + lv.className() + ")");
          continue;
        }
        for (int i = 0; i < g.names().size(); i++) {
          slots.add(new Slot(lv.layerPath(), lv.className(), g.h5Group() + "/" + i,
              g.pathPrefix() + "/" + g.names().get(i)));
        }
      }
    }
    if (!unknown.isEmpty()) {
      throw new UnsupportedInputException("Cannot write a Keras 3 file of " + where + ": tfgw does not know which "
          + "variables these layers hold, nor in which order Keras saves them: " + abbreviate(unknown) + " (custom "
          + "layers, and preprocessing layers whose state is not variables, like TextVectorization's vocabulary). "
          + "The weights still convert as a checkpoint (--to v2, --to safetensors)");
    }
    slots.forEach(s -> varsGroups.put(s.h5Path().substring(0, s.h5Path().lastIndexOf('/')), s.owner()));
    return new Plan(slots, layers, varsGroups);
  }

  /** Each layer's weights, in Keras's order, into the layer's slots; the counts must agree. */
  private static List<Dataset> byLayer(Plan plan, KerasWeights weights, Location where) {
    Map<List<String>, List<Slot>> slotsOf = new java.util.LinkedHashMap<>();
    plan.slots().forEach(s -> slotsOf.computeIfAbsent(s.layerPath(), k -> new ArrayList<>()).add(s));
    List<Dataset> out = new ArrayList<>();
    for (Map.Entry<List<String>, List<Slot>> e : slotsOf.entrySet()) {
      List<KerasWeights.Weight> ws = weights.of(e.getKey());
      List<Slot> slots = e.getValue();
      if (ws.size() != slots.size()) {
        throw new WrongInputException(where + ": layer '" + String.join("/", e.getKey()) + "' ("
            + slots.get(0).className() + ") has " + ws.size() + " weights in the file ("
            + ws.stream().map(KerasWeights.Weight::kerasName).toList() + "), but Keras 3 saves "
            + slots.stream().map(Slot::variable).toList() + " for it");
      }
      for (int i = 0; i < slots.size(); i++) {
        KerasWeights.Weight w = ws.get(i);
        out.add(new Dataset(slots.get(i).h5Path(), new TensorInfo(slots.get(i).variable(), w.dtype(), w.shape()),
            () -> weights.read(w)));
      }
    }
    return out;
  }

  private static TensorInfo info(CheckpointReader reader, String tensor) {
    return reader.tensors().stream().filter(t -> t.name().equals(tensor)).findFirst().orElseThrow();
  }

  // ---- writing ----

  private Hdf5Writer weightsWriter(Source s, Location destination) {
    Hdf5Writer.check(s.datasets().stream().map(d -> new TensorInfo(d.path(), d.info().dtype(), d.info().shape()))
        .toList(), Hdf5Writer.Layout.PLAIN);
    Hdf5Writer w = new Hdf5Writer(storage, destination, Hdf5Writer.Layout.PLAIN);
    for (Dataset d : s.datasets()) {
      TensorData data = d.data().get();
      if (data.dtype() != d.info().dtype() || !data.shape().equals(d.info().shape())) {
        throw new WrongInputException("Variable " + d.info().name() + " reads as " + data.dtype() + data.shape()
            + ", not as listed " + d.info().dtype() + d.info().shape());
      }
      w.add(d.path(), data);
    }
    s.plan().varsGroupNames().forEach((group, name) -> w.addGroupAttribute(group, "name", name));
    return w;
  }

  private long writeArchive(Location destination, Source s) {
    ObjectMapper mapper = new ObjectMapper();
    byte[] metadata;
    byte[] config;
    try {
      ObjectNode meta = mapper.createObjectNode();
      meta.put("keras_version", KERAS_VERSION);
      meta.put("date_saved", LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
          "yyyy-MM-dd@HH:mm:ss")));
      metadata = mapper.writeValueAsBytes(meta);
      config = mapper.writeValueAsBytes(s.config());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Path tmp;
    try {
      tmp = Files.createTempFile("tfgw-", ".weights.h5");
    } catch (IOException e) {
      throw new StorageException("Cannot create a temp file for " + WEIGHTS + ": " + e.getMessage(), e);
    }
    try {
      try (Hdf5Writer w = weightsWriter(s, destination)) {
        w.writeLocal(tmp);
      }
      long weightsSize = Files.size(tmp);
      CRC32 crc = new CRC32();
      try (InputStream in = Files.newInputStream(tmp)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          crc.update(buf, 0, n);
        }
      }
      CountingStream counted;
      try (AtomicOutputStream os = storage.outputFile(destination).create()) {
        counted = new CountingStream(os);
        ZipOutputStream zip = new ZipOutputStream(counted);
        // Python's zipfile dates what zf.open(name, "w") writes 1980-01-01, what writestr writes now
        storedEntry(zip, METADATA, metadata, DOS_EPOCH);
        storedEntry(zip, CONFIG, config, DOS_EPOCH);
        ZipEntry weights = stored(WEIGHTS, weightsSize, crc.getValue(), System.currentTimeMillis());
        zip.putNextEntry(weights);
        try (InputStream in = Files.newInputStream(tmp)) {
          in.transferTo(zip);
        }
        zip.closeEntry();
        zip.finish();
        zip.flush();
        os.commit();
      }
      return counted.count;
    } catch (IOException e) {
      throw new StorageException("Cannot write " + destination + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }

  private static final long DOS_EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0).atZone(java.time.ZoneId.systemDefault())
      .toInstant().toEpochMilli();

  private static void storedEntry(ZipOutputStream zip, String name, byte[] bytes, long time) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    zip.putNextEntry(stored(name, bytes.length, crc.getValue(), time));
    zip.write(bytes);
    zip.closeEntry();
  }

  private static ZipEntry stored(String name, long size, long crc, long time) {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(size);
    e.setCompressedSize(size);
    e.setCrc(crc);
    e.setTime(time);
    return e;
  }

  /** Counts the bytes written, and keeps the zip stream from closing the atomic output (close would discard). */
  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  private static String abbreviate(List<String> items) {
    return items.size() <= 8 ? items.toString() : items.subList(0, 8) + " and " + (items.size() - 8) + " more";
  }
}
