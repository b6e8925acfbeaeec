package io.tfgw.converters.keras;

import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.TfgwException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Keras facts {@code inspect} shows for an HDF5 file: versions, model class, layers and their weights. */
public final class KerasSummary {
  private KerasSummary() {}

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
