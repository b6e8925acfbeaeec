package io.tfgw.converters.keras;

import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.MetaGraphDef;
import java.nio.charset.StandardCharsets;

/**
 * A Keras {@code .h5} as a TF1 model: the graph built from its {@code model_config} (or, for a weights-only file, from
 * a separate {@code model.to_json()} file) and the converted weights, read lazily from the open HDF5 file.
 */
public final class KerasModel implements AutoCloseable {
  private final Hdf5Reader reader;
  private final KerasModelConfig config;
  private final KerasGraphBuilder.Built built;

  private KerasModel(Hdf5Reader reader, KerasModelConfig config, KerasGraphBuilder.Built built) {
    this.reader = reader;
    this.config = config;
    this.built = built;
  }

  /**
   * @param configJson a {@code model.to_json()} file for a weights-only {@code .h5}; null to use the file's own
   *     {@code model_config}
   */
  public static KerasModel open(Storage storage, Location h5, Location configJson) {
    Hdf5Reader reader = Hdf5Reader.open(storage, h5);
    try {
      if (!reader.layout().equals("keras")) {
        throw new WrongInputException(h5 + " is an HDF5 file but not a Keras model or weights file (no layer_names "
            + "attribute); it can only be converted as a checkpoint (--to v1, v2, hdf5, safetensors)");
      }
      String json;
      String where;
      if (configJson != null) {
        json = new String(storage.inputFile(configJson).readAllBytes(), StandardCharsets.UTF_8);
        where = configJson.toString();
      } else if (reader.modelConfig() != null) {
        json = reader.modelConfig();
        where = h5.toString();
      } else {
        throw new WrongInputException(h5 + " holds Keras weights only (save_weights), no model_config: pass the "
            + "model's architecture as JSON (model.to_json()) with --keras-config FILE.json");
      }
      KerasModelConfig config = KerasModelConfig.parse(json, where);
      return new KerasModel(reader, config, KerasGraphBuilder.build(config, reader));
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  public Hdf5Reader reader() {
    return reader;
  }

  public KerasModelConfig config() {
    return config;
  }

  public KerasGraphBuilder.Built built() {
    return built;
  }

  /** The MetaGraph of a TF1 SavedModel: tag {@code serve}, the saver, signature {@code serving_default}. */
  public MetaGraphDef metaGraph() {
    MetaGraphDef.Builder m = MetaGraphDef.newBuilder().setGraphDef(built.graph())
        .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve"))
        .putSignatureDef("serving_default", built.signature());
    if (built.saver() != null) {
      m.setSaverDef(built.saver());
    }
    return m.build();
  }

  @Override
  public void close() {
    reader.close();
  }
}
