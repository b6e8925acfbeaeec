package io.tfgw.converters.keras;

import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.TensorData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a legacy Keras HDF5 ({@code model.save('x.h5')} or {@code save_weights}) assigned to the layers of
 * a model config, as Keras's {@code load_weights} assigns them: a top-level layer takes the group of its name, or,
 * when the file's names are not the model's (weights of another instance of the architecture), the file's layers
 * with weights are paired with the model's in order. A nested Sequential or functional model's group holds all its
 * layers' weights; they go to the nested layers by the layer name inside each weight name ({@code dense/kernel:0}),
 * or in order when the names do not tell.
 */
final class LegacyKerasWeights implements KerasWeights {
  private final Hdf5Reader h5;
  private final Map<List<String>, List<Weight>> byLayer = new HashMap<>();

  LegacyKerasWeights(Hdf5Reader h5, KerasModelConfig config) {
    this.h5 = h5;
    Map<String, List<Weight>> stored = new HashMap<>();
    List<String> storedOrder = new ArrayList<>();
    for (Hdf5Reader.LayerWeights l : h5.layers()) {
      List<Weight> ws = new ArrayList<>();
      for (Hdf5Reader.Weight w : l.weights()) {
        ws.add(new Weight(w.tensor(), w.weightName(), w.dtype(), w.shape()));
      }
      stored.put(l.layer(), ws);
      if (!ws.isEmpty()) {
        storedOrder.add(l.layer());
      }
    }
    List<KerasModelConfig.Layer> weighted = config.layers().stream().filter(KerasWeightLayout::knownToHoldVariables).toList();
    boolean allByName = weighted.stream().allMatch(l -> stored.containsKey(l.name()) && !stored.get(l.name()).isEmpty());
    if (!allByName) {
      if (storedOrder.size() != weighted.size()) {
        throw new WrongInputException(h5.location() + " holds weights for " + storedOrder.size() + " layers "
            + storedOrder + ", but the model has " + weighted.size() + " layers with weights "
            + weighted.stream().map(KerasModelConfig.Layer::name).toList()
            + ": is this the model these weights were saved from?");
      }
      Map<String, List<Weight>> byPosition = new HashMap<>();
      for (int i = 0; i < weighted.size(); i++) {
        byPosition.put(weighted.get(i).name(), stored.get(storedOrder.get(i)));
      }
      stored.clear();
      stored.putAll(byPosition);
    }
    for (KerasModelConfig.Layer l : config.layers()) {
      List<Weight> ws = stored.getOrDefault(l.name(), List.of());
      if (l.isModel()) {
        distribute(l.nested(), List.of(l.name()), ws);
      } else {
        byLayer.put(List.of(l.name()), ws);
      }
    }
  }

  /** A nested model's weights, all in its one group, shared out among its layers. */
  private void distribute(KerasModelConfig model, List<String> path, List<Weight> weights) {
    List<KerasModelConfig.Layer> leaves = new ArrayList<>();
    List<List<String>> paths = new ArrayList<>();
    collectLeaves(model, path, leaves, paths);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < leaves.size(); i++) {
      index.putIfAbsent(leaves.get(i).name(), i);
    }
    List<List<Weight>> assigned = new ArrayList<>();
    leaves.forEach(l -> assigned.add(new ArrayList<>()));
    boolean byName = true;
    for (Weight w : weights) {
      Integer owner = ownerByName(w.kerasName(), index);
      if (owner == null) {
        byName = false;
        break;
      }
      assigned.get(owner).add(w);
    }
    if (!byName) {
      assigned.forEach(List::clear);
      int next = 0;
      for (int i = 0; i < leaves.size() && next < weights.size(); i++) {
        int n = expectedCount(leaves.get(i));
        for (int k = 0; k < n && next < weights.size(); k++) {
          assigned.get(i).add(weights.get(next++));
        }
      }
    }
    for (int i = 0; i < leaves.size(); i++) {
      byLayer.put(paths.get(i), List.copyOf(assigned.get(i)));
    }
  }

  private static void collectLeaves(KerasModelConfig model, List<String> path, List<KerasModelConfig.Layer> leaves,
      List<List<String>> paths) {
    for (KerasModelConfig.Layer l : model.layers()) {
      List<String> p = new ArrayList<>(path);
      p.add(l.name());
      if (l.isModel()) {
        collectLeaves(l.nested(), p, leaves, paths);
      } else {
        leaves.add(l);
        paths.add(List.copyOf(p));
      }
    }
  }

  /** The nested layer a weight name mentions: a path segment before the last that is a layer's name. */
  private static Integer ownerByName(String weightName, Map<String, Integer> index) {
    String[] parts = weightName.split("/");
    for (int i = parts.length - 2; i >= 0; i--) {
      Integer owner = index.get(parts[i]);
      if (owner != null) {
        return owner;
      }
    }
    return null;
  }

  private static int expectedCount(KerasModelConfig.Layer l) {
    if (KerasWeightLayout.RECURRENT.contains(l.className())) {
      return l.config() != null && !l.config().path("use_bias").asBoolean(true) ? 2 : 3;
    }
    KerasModelConfig.Layer inner = l.wrapped();
    if (inner != null && l.className().equals("Bidirectional")) {
      return 2 * expectedCount(inner);
    }
    if (inner != null && l.className().equals("TimeDistributed")) {
      return expectedCount(inner);
    }
    List<String> names = KerasWeightLayout.variableNames(l.className(), l.config());
    return names == null ? 0 : names.size();
  }

  @Override
  public Location location() {
    return h5.location();
  }

  @Override
  public List<Weight> of(List<String> layerPath) {
    return byLayer.getOrDefault(layerPath, List.of());
  }

  @Override
  public TensorData read(Weight weight) {
    return h5.read(weight.tensor());
  }

  @Override
  public String kerasVersion() {
    return h5.kerasVersion();
  }

  @Override
  public String backend() {
    return h5.backend();
  }

  @Override
  public boolean namesAreVariablePaths() {
    return false;
  }
}
