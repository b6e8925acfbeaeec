package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.resolve.FileKind;
import io.tfgw.converters.resolve.FileSniffer;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.MetaGraphDef;
import java.nio.charset.StandardCharsets;

/**
 * A Keras model file as a TF1 model: the graph built from its config and the converted weights, read lazily from
 * the open file. The file is a {@code .keras} (config inside), a legacy {@code .h5} full model ({@code model_config}
 * inside), or a weights-only file whose architecture comes from elsewhere ({@code --keras-config}): a legacy
 * {@code save_weights} {@code .h5} or a Keras 3 {@code .weights.h5}, with a {@code model.to_json()} file, a
 * {@code .keras}'s {@code config.json}, or a {@code .keras} itself.
 */
public final class KerasModel implements AutoCloseable {
  private final AutoCloseable file;
  private final String format;
  private final String kerasVersion;
  private final KerasModelConfig config;
  private final KerasGraphBuilder.Built built;

  private KerasModel(AutoCloseable file, String format, String kerasVersion, KerasModelConfig config,
      KerasGraphBuilder.Built built) {
    this.file = file;
    this.format = format;
    this.kerasVersion = kerasVersion;
    this.config = config;
    this.built = built;
  }

  /**
   * @param location a {@code .keras}, {@code .h5} or {@code .weights.h5}
   * @param configLocation the architecture of a weights-only file ({@code model.to_json()} output,
   *     {@code config.json}, or a {@code .keras}); null to use the file's own
   */
  public static KerasModel open(Storage storage, Location location, Location configLocation) {
    Resolved resolved = new Resolver(storage).resolve(location);
    return switch (resolved.format()) {
      case "keras" -> openArchive(storage, resolved.target(), configLocation);
      case "hdf5" -> openHdf5(storage, resolved.target(), configLocation);
      default -> throw new WrongInputException(location + " is a " + resolved.format() + ", not a Keras model file "
          + "(.keras, .h5, .weights.h5)");
    };
  }

  private static KerasModel openArchive(Storage storage, Location location, Location configLocation) {
    if (configLocation != null) {
      throw new WrongInputException("--keras-config is for weights-only files; " + location + " holds its own "
          + "config.json");
    }
    KerasArchive archive = KerasArchive.open(storage, location);
    try {
      if (archive.config() == null) {
        throw new UnsupportedInputException(archive.configProblem() + ". Its weights still convert on their own "
            + "(tfgw convert " + location + " DIR/model.ckpt --to v2, or --to safetensors)");
      }
      KerasGraphBuilder.Built built = KerasGraphBuilder.build(archive.config(), archive.weights());
      return new KerasModel(archive, "keras", archive.kerasVersion(), archive.config(), built);
    } catch (RuntimeException e) {
      archive.close();
      throw e;
    }
  }

  private static KerasModel openHdf5(Storage storage, Location h5, Location configLocation) {
    Hdf5Reader reader = Hdf5Reader.open(storage, h5);
    try {
      switch (reader.layout()) {
        case "keras": {
          String json;
          String where;
          if (configLocation != null) {
            json = readConfig(storage, configLocation);
            where = configLocation.toString();
          } else if (reader.modelConfig() != null) {
            json = reader.modelConfig();
            where = h5.toString();
          } else {
            throw new WrongInputException(h5 + " holds Keras weights only (save_weights), no model_config: pass "
                + "the model's architecture with --keras-config (model.to_json() output, or a .keras of the model)");
          }
          KerasModelConfig config = KerasModelConfig.parse(json, where);
          return new KerasModel(reader, "hdf5", reader.kerasVersion(), config,
              KerasGraphBuilder.build(config, reader));
        }
        case "keras3": {
          if (configLocation == null) {
            throw new WrongInputException(h5 + " is a Keras 3 weights file (.weights.h5, from save_weights or "
                + "ModelCheckpoint) with no architecture in it: pass the model's with --keras-config (its .keras, "
                + "a config.json, or model.to_json() output)");
          }
          String json = readConfig(storage, configLocation);
          KerasModelConfig config = KerasModelConfig.parse(json, configLocation.toString());
          JsonNode compile = config.json().get("compile_config");
          KerasWeightsFile weights = KerasWeightsFile.of(reader, h5, "hdf5", config, compile, null);
          try {
            return new KerasModel(weights, "hdf5", null, config, KerasGraphBuilder.build(config, weights));
          } catch (RuntimeException e) {
            weights.close();
            throw e;
          }
        }
        default:
          throw new WrongInputException(h5 + " is an HDF5 file but not a Keras model or weights file (neither "
              + "layer_names nor Keras 3's layers/.../vars); it can only be converted as a checkpoint (--to v1, v2, "
              + "hdf5, safetensors)");
      }
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /**
   * An architecture: JSON text, the {@code config.json} of a {@code .keras}, or the {@code model_config} of a legacy
   * {@code .h5} full model (the source of a {@code .weights.h5} tfgw wrote from it).
   */
  static String readConfig(Storage storage, Location location) {
    FileKind kind = FileSniffer.sniff(storage, location);
    if (kind == FileKind.ZIP) {
      return KerasArchive.readConfig(storage, location);
    }
    if (kind == FileKind.HDF5) {
      try (Hdf5Reader h5 = Hdf5Reader.open(storage, location)) {
        if (h5.modelConfig() != null) {
          return h5.modelConfig();
        }
      }
    }
    if (kind != FileKind.JSON) {
      throw new WrongInputException("--keras-config " + location + " is not a Keras architecture: give the JSON of "
          + "model.to_json(), a .keras's config.json, the .keras file, or a legacy .h5 full model");
    }
    return new String(storage.inputFile(location).readAllBytes(), StandardCharsets.UTF_8);
  }

  /** {@code keras} or {@code hdf5}. */
  public String format() {
    return format;
  }

  /** The Keras version that wrote the file; null when it does not say. */
  public String kerasVersion() {
    return kerasVersion;
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
    try {
      file.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
