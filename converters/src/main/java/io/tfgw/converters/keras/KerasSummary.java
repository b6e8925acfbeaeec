package io.tfgw.converters.keras;

import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.TfgwException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Keras facts {@code inspect} shows: versions, model class, layers and their weights, for a legacy HDF5 file,
 * a {@code .keras} and a Keras 3 {@code .weights.h5}.
 */
public final class KerasSummary {
  private KerasSummary() {}

  /** A {@code .keras}: metadata, the model's layers (nested ones as {@code model/layer}), weights, assets. */
  public static Map<String, Object> describe(KerasArchive a) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("layout", layoutName(a.weights()));
    d.put("keras_version", a.kerasVersion() == null ? "not recorded" : a.kerasVersion());
    if (a.dateSaved() != null) {
      d.put("date_saved", a.dateSaved());
    }
    d.put("kind", "model");
    d.put("model_class", a.modelClass());
    if (a.config() != null) {
      d.put("layers", layers(a.config(), a.weights()));
      List<String> unsupported = KerasGraphBuilder.unsupportedLayers(a.config());
      if (!unsupported.isEmpty()) {
        d.put("unsupported_layers", unsupported);
      }
    } else {
      d.put("layers", layersByFile(a.weights()));
      d.put("model_config_error", a.configProblem());
    }
    if (a.compiled()) {
      d.put("training_config", true);
    }
    if (!a.weights().optimizerTensors().isEmpty()) {
      d.put("optimizer_weights", a.weights().optimizerTensors().size());
      d.put("optimizer_variables", a.weights().optimizerTensors());
    }
    if (!a.assets().isEmpty()) {
      d.put("assets", a.assets());
    }
    if (!a.otherEntries().isEmpty()) {
      d.put("other_entries", a.otherEntries());
    }
    if (!a.weights().notes().isEmpty()) {
      d.put("weight_notes", a.weights().notes());
    }
    return d;
  }

  /** A Keras 3 weights-only file ({@code .weights.h5}): no config, layers recognised by their groups. */
  public static Map<String, Object> describe(KerasWeightsFile w) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("layout", layoutName(w));
    d.put("keras_version", "not recorded");
    d.put("kind", "weights");
    d.put("layers", w.config() == null ? layersByFile(w) : layers(w.config(), w));
    if (!w.optimizerTensors().isEmpty()) {
      d.put("optimizer_weights", w.optimizerTensors().size());
      d.put("optimizer_variables", w.optimizerTensors());
    }
    if (!w.notes().isEmpty()) {
      d.put("weight_notes", w.notes());
    }
    return d;
  }

  private static String layoutName(KerasWeightsFile w) {
    return w.dialect() == KerasWeightLayout.Dialect.KERAS3 ? "keras3" : "keras3 (tf.keras 2.13-2.15)";
  }

  private static List<Map<String, Object>> layers(KerasModelConfig config, KerasWeightsFile w) {
    List<Map<String, Object>> out = new ArrayList<>();
    addLayers(config, List.of(), w, out);
    return out;
  }

  private static void addLayers(KerasModelConfig model, List<String> path, KerasWeightsFile w,
      List<Map<String, Object>> out) {
    for (KerasModelConfig.Layer l : model.layers()) {
      List<String> p = new ArrayList<>(path);
      p.add(l.name());
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", String.join("/", p));
      KerasModelConfig.Layer inner = l.wrapped();
      e.put("class", inner == null ? l.className() : l.className() + "(" + inner.className() + ")");
      e.put("weights", l.isModel() ? 0 : w.of(p).size());
      out.add(e);
      if (l.isModel()) {
        addLayers(l.nested(), p, w, out);
      }
    }
  }

  private static List<Map<String, Object>> layersByFile(KerasWeightsFile w) {
    List<Map<String, Object>> out = new ArrayList<>();
    w.layers().forEach((path, ws) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", String.join("/", path));
      e.put("weights", ws.size());
      out.add(e);
    });
    return out;
  }

  public static Map<String, Object> describe(Hdf5Reader h5) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("layout", h5.layout());
    if (!h5.layout().equals("keras")) {
      if (!h5.skippedDatasets().isEmpty()) {
        d.put("skipped_datasets", h5.skippedDatasets());
      }
      return d;
    }
    d.put("keras_version", h5.kerasVersion() == null ? "1.x (not recorded)" : h5.kerasVersion());
    d.put("backend", h5.backend() == null ? "not recorded" : h5.backend());
    d.put("kind", h5.modelConfig() == null ? "weights" : "model");
    Map<String, Integer> weightCounts = new HashMap<>();
    h5.layers().forEach(l -> weightCounts.put(l.layer(), l.weights().size()));
    List<Map<String, Object>> layers = new ArrayList<>();
    if (h5.modelConfig() != null) {
      try {
        KerasModelConfig config = KerasModelConfig.parse(h5.modelConfig(), h5.location().toString());
        d.put("model_class", config.className());
        for (KerasModelConfig.Layer l : config.layers()) {
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("name", l.name());
          e.put("class", l.className());
          e.put("weights", weightCounts.getOrDefault(l.name(), 0));
          layers.add(e);
        }
        List<String> unsupported = KerasGraphBuilder.unsupportedLayers(config);
        if (!unsupported.isEmpty()) {
          d.put("unsupported_layers", unsupported);
        }
      } catch (TfgwException e) {
        d.put("model_config_error", e.getMessage());
      }
    }
    if (layers.isEmpty()) {
      for (Hdf5Reader.LayerWeights l : h5.layers()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", l.layer());
        e.put("weights", l.weights().size());
        layers.add(e);
      }
    }
    d.put("layers", layers);
    if (h5.hasTrainingConfig()) {
      d.put("training_config", true);
    }
    if (!h5.optimizerWeights().isEmpty()) {
      d.put("optimizer_weights", h5.optimizerWeights().size());
    }
    return d;
  }
}
