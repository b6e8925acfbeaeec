package io.tfgw.converters.convert;

import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.keras.KerasModel;
import io.tfgw.converters.savedmodel.SavedModelWriter;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.List;
import java.util.Map;

/** Keras {@code .keras} and {@code .h5} to a SavedModel or a frozen GraphDef, through the graph built from the model config. */
public final class KerasConverter {
  private final Storage storage;

  public KerasConverter(Storage storage) {
    this.storage = storage;
  }

  /** {@code --to savedmodel}: a TF1 SavedModel (tag serve, signature serving_default) with the weights in variables/. */
  public ModelConverter.Result toSavedModel(Location source, Location destination, Location kerasConfig) {
    if (storage.exists(destination.resolve("saved_model.pb"))) {
      throw new WrongInputException(destination + " already holds a SavedModel; choose a new directory (TF Serving "
          + "expects a new numeric version directory per model version)");
    }
    try (KerasModel model = KerasModel.open(storage, source, kerasConfig)) {
      var built = model.built();
      SavedModelWriter.Result r = new SavedModelWriter(storage).write(destination, model.metaGraph(),
          built.saver() == null ? null : built.variables(), Map.of());
      return new ModelConverter.Result(source, model.format(), destination, "savedmodel", built.outputs(),
          built.graph().getNodeCount(), r.variables(), r.bytes(), notes(model));
    }
  }

  /** {@code --to frozen}: the graph with the weights as constants, cut to the outputs (default: the model's). */
  public ModelConverter.Result toFrozen(Location source, Location destination, Location kerasConfig, List<String> outputs) {
    try (KerasModel model = KerasModel.open(storage, source, kerasConfig)) {
      var built = model.built();
      List<String> outs = outputs.isEmpty() ? built.outputs() : outputs;
      Freezer.Result r = new Freezer(built.graph(), built.variables()).freeze(outs, storage.outputFile(destination));
      return new ModelConverter.Result(source, model.format(), destination, "frozen", outs, r.nodes(), r.variablesFrozen(),
          r.bytes(), notes(model));
    }
  }

  private static List<String> notes(KerasModel model) {
    String v = model.kerasVersion();
    String version = v != null ? v : model.format().equals("keras") ? "(version not recorded)" : "1.x";
    return List.of("Keras " + version + " " + model.config().className() + " model, "
        + model.config().allLayers().stream().filter(l -> !l.isModel()).count() + " layers; inputs "
        + model.built().inputs());
  }
}
