package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.zip.ZipReader;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Keras {@code .keras} file (Keras 3, and tf.keras 2.13-2.15's {@code keras_v3} format): a zip of
 * {@code metadata.json} ({@code keras_version}, {@code date_saved}), {@code config.json} (the model, with
 * {@code compile_config}), {@code model.weights.h5} and {@code assets/}. Read in place: the zip's directory, the two
 * JSON files and, through jhdf, only the parts of the weights file asked for (a stored entry is a window of the
 * zip; Keras always stores, but a deflated one is inflated with bounds).
 *
 * <p>Nothing in the file is executed: {@code model.weights.npz} (whose members are pickled Python dicts) is refused,
 * not loaded; a {@code Lambda}'s bytecode stays text in the config.
 */
public final class KerasArchive implements CheckpointReader {
  static final String CONFIG = "config.json";
  static final String METADATA = "metadata.json";
  static final String WEIGHTS = "model.weights.h5";
  static final String WEIGHTS_NPZ = "model.weights.npz";
  private static final long MAX_JSON_BYTES = 256L << 20;

  private final Location location;
  private final ZipReader zip;
  private final JsonNode metadata;
  private final JsonNode root;
  private final KerasModelConfig config;
  private final String configProblem;
  private final KerasWeightsFile weights;
  private final Map<String, Long> assets = new LinkedHashMap<>();
  private final List<String> otherEntries = new ArrayList<>();

  private KerasArchive(Location location, ZipReader zip) {
    this.location = location;
    this.zip = zip;
    for (ZipReader.Entry e : zip.entries().values()) {
      if (e.name().startsWith("assets/")) {
        assets.put(e.name(), e.size());
      } else if (!List.of(CONFIG, METADATA, WEIGHTS).contains(e.name())) {
        otherEntries.add(e.name());
      }
    }
    ZipReader.Entry configEntry = zip.entry(CONFIG);
    if (configEntry == null) {
      throw new WrongInputException(location + " is a zip archive but not a Keras .keras model: it has no config.json");
    }
    this.root = json(configEntry, "config.json");
    if (root == null || !root.isObject() || !root.path("class_name").isTextual()) {
      throw new CorruptInputException(location + ": config.json does not describe a Keras model (no class_name)");
    }
    ZipReader.Entry metaEntry = zip.entry(METADATA);
    this.metadata = metaEntry == null ? null : json(metaEntry, "metadata.json");
    KerasModelConfig parsed = null;
    String problem = null;
    try {
      parsed = KerasModelConfig.fromJson(root, location.toString(), 0);
    } catch (UnsupportedInputException e) {
      problem = e.getMessage();
    }
    this.config = parsed;
    this.configProblem = problem;
    ZipReader.Entry w = zip.entry(WEIGHTS);
    if (w == null) {
      if (zip.entry(WEIGHTS_NPZ) != null) {
        throw new UnsupportedInputException(location + " keeps its weights in model.weights.npz (weights_format="
            + "'npz'), whose members are pickled Python objects; tfgw never unpickles (loading a pickle can run "
            + "code). Re-save the model with Keras's default weights format: model.save('model.keras')");
      }
      throw new CorruptInputException(location + " has no model.weights.h5; the .keras file is incomplete (entries: "
          + String.join(", ", zip.entries().keySet()) + ")");
    }
    Location inner = Location.inArchive(location, WEIGHTS);
    Hdf5Reader h5 = Hdf5Reader.open(zip.open(w), inner);
    if (!h5.layout().equals("keras3") && !h5.datasets().isEmpty()) {
      h5.close();
      throw new CorruptInputException(inner + " is not in Keras's weights layout (layers/<name>/vars/<i>); the "
          + ".keras file was not written by Keras");
    }
    this.weights = KerasWeightsFile.of(h5, location, "keras", config, root.get("compile_config"), kerasVersion());
  }

  /** Opens and indexes the archive at {@code location}; reads its config and the weights file's structure. */
  public static KerasArchive open(Storage storage, Location location) {
    ZipReader zip = ZipReader.open(storage.inputFile(location).open(), location);
    try {
      return new KerasArchive(location, zip);
    } catch (RuntimeException e) {
      zip.close();
      throw e;
    }
  }

  /** The {@code config.json} of a {@code .keras} (for {@code --keras-config model.keras}). */
  public static String readConfig(Storage storage, Location location) {
    try (ZipReader zip = ZipReader.open(storage.inputFile(location).open(), location)) {
      ZipReader.Entry e = zip.entry(CONFIG);
      if (e == null) {
        throw new WrongInputException(location + " is a zip archive but not a Keras .keras model: it has no "
            + "config.json");
      }
      return new String(zip.readAll(e, MAX_JSON_BYTES), StandardCharsets.UTF_8);
    }
  }

  private JsonNode json(ZipReader.Entry e, String what) {
    String text = new String(zip.readAll(e, MAX_JSON_BYTES), StandardCharsets.UTF_8);
    return KerasModelConfig.readJson(text, location.toString(), what);
  }

  /** {@code keras_version} from {@code metadata.json}; null when it is missing. */
  public String kerasVersion() {
    JsonNode v = metadata == null ? null : metadata.get("keras_version");
    return v == null || v.isNull() ? null : v.asText();
  }

  /** {@code date_saved} from {@code metadata.json}; null when it is missing. */
  public String dateSaved() {
    JsonNode v = metadata == null ? null : metadata.get("date_saved");
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The model class the config names ({@code Sequential}, {@code Functional}, or a subclass). */
  public String modelClass() {
    return root.get("class_name").asText();
  }

  /** The parsed model; null for a subclassed model (see {@link #configProblem()}). */
  public KerasModelConfig config() {
    return config;
  }

  /** Why the config could not be parsed as a Sequential or functional model; null when it could. */
  public String configProblem() {
    return configProblem;
  }

  public JsonNode configJson() {
    return root;
  }

  public boolean compiled() {
    JsonNode c = root.get("compile_config");
    return c != null && c.isObject() && !c.isEmpty();
  }

  /** Entries under {@code assets/} and their sizes (vocabularies of lookup layers, ...). */
  public Map<String, Long> assets() {
    return Collections.unmodifiableMap(assets);
  }

  /** Entries Keras does not write (neither the config, metadata, weights nor assets). */
  public List<String> otherEntries() {
    return Collections.unmodifiableList(otherEntries);
  }

  public KerasWeightsFile weights() {
    return weights;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return "keras";
  }

  @Override
  public List<TensorInfo> tensors() {
    return weights.tensors();
  }

  @Override
  public TensorData read(String name) {
    return weights.read(name);
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    return weights.readSlice(name, slice);
  }

  @Override
  public void close() {
    try {
      weights.close();
    } finally {
      zip.close();
    }
  }
}
