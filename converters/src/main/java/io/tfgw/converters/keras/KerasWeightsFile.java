package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A weights HDF5 in Keras 3's layout ({@code model.weights.h5} of a {@code .keras}, or a {@code .weights.h5}) as a
 * checkpoint whose tensors carry the names Keras 3 gives the variables: {@code dense/kernel},
 * {@code lstm/lstm_cell/bias}, {@code forward_gru/gru_cell/kernel}; optimizer variables as {@code optimizer/...}.
 *
 * <p>With the model's config, the datasets are assigned to layers by replaying saving_lib's walk
 * ({@link KerasWeightLayout}); where the file's numbering does not match the walk (tf.keras 2.13 files that skip
 * numbers in ways the walk does not predict), a layer whose group is missing takes the next unclaimed group of its
 * class, in order. Without a config (a bare {@code .weights.h5}, or a subclassed model), layers are recognised by
 * their group names ({@code layers/dense_1} is a Dense) and named by the {@code name} attribute Keras 3 stores on
 * {@code vars} groups. A dataset no layer claims keeps its path in the file ({@code metrics/mean/vars/0}); so does
 * every variable of a layer whose class tfgw does not know ({@code my_layer/vars/0}).
 */
public final class KerasWeightsFile implements CheckpointReader, KerasWeights {
  private static final Pattern INDEX = Pattern.compile("\\d+");

  private final Hdf5Reader h5;
  private final Location location;
  private final String format;
  private final KerasModelConfig config;
  private final String kerasVersion;
  private final Map<String, String> datasetOf = new TreeMap<>();
  private final Map<List<String>, List<Weight>> byLayer = new LinkedHashMap<>();
  private final List<String> optimizerTensors = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<TensorInfo> tensors = new ArrayList<>();
  private final KerasWeightLayout.Dialect dialect;

  private KerasWeightsFile(Hdf5Reader h5, Location location, String format, KerasModelConfig config,
      JsonNode compileConfig, String kerasVersion) {
    this.h5 = h5;
    this.location = location;
    this.format = format;
    this.config = config;
    this.kerasVersion = kerasVersion;
    TreeMap<String, Hdf5Reader.DatasetEntry> datasets = new TreeMap<>();
    for (Hdf5Reader.DatasetEntry d : h5.datasets()) {
      datasets.put(d.path(), d);
    }
    boolean tf213 = datasets.keySet().stream().anyMatch(p -> p.startsWith("_layer_checkpoint_dependencies/"))
        || h5.groups().containsKey("_layer_checkpoint_dependencies");
    this.dialect = tf213 ? KerasWeightLayout.Dialect.TF_KERAS_2_13 : KerasWeightLayout.Dialect.KERAS3;
    Map<String, String> names = new LinkedHashMap<>(); // dataset path -> tensor name
    List<Trainable> trainable = new ArrayList<>();
    if (config != null) {
      assignByConfig(config, datasets, names, trainable);
    } else {
      assignByGroupNames(datasets, names, trainable);
    }
    nameOptimizer(compileConfig, datasets, names, trainable);
    for (Hdf5Reader.DatasetEntry d : datasets.values()) {
      names.putIfAbsent(d.path(), d.path());
    }
    Map<String, Integer> counts = new HashMap<>();
    names.values().forEach(n -> counts.merge(n, 1, Integer::sum));
    for (Map.Entry<String, String> e : names.entrySet()) {
      String tensor = counts.get(e.getValue()) > 1 ? e.getKey() : e.getValue(); // a clash keeps the file's paths
      datasetOf.put(tensor, e.getKey());
    }
    for (Map.Entry<String, String> e : datasetOf.entrySet()) {
      Hdf5Reader.DatasetEntry d = datasets.get(e.getValue());
      tensors.add(new TensorInfo(e.getKey(), d.dtype(), d.shape()));
    }
    // the builder's view: per layer, the final tensor names
    Map<String, String> tensorOfDataset = new HashMap<>();
    datasetOf.forEach((t, d) -> tensorOfDataset.put(d, t));
    byLayer.replaceAll((path, ws) -> ws.stream().map(w -> new Weight(tensorOfDataset.get(w.kerasName()), w.kerasName(),
        w.dtype(), w.shape())).toList());
    optimizerTensors.replaceAll(tensorOfDataset::get);
  }

  /**
   * Reads {@code h5} (which must be in the {@code keras3} layout; the result owns it) as Keras 3 weights.
   *
   * @param location what messages name: the weights file, or the {@code .keras} holding it
   * @param config the model's config, or null
   * @param compileConfig the {@code compile_config} of a {@code .keras} (names optimizer variables), or null
   */
  public static KerasWeightsFile of(Hdf5Reader h5, Location location, String format, KerasModelConfig config,
      JsonNode compileConfig, String kerasVersion) {
    try {
      return new KerasWeightsFile(h5, location, format, config, compileConfig, kerasVersion);
    } catch (RuntimeException e) {
      h5.close();
      throw e;
    }
  }

  /** A model variable that the optimizer tracks: its Keras 3 path. */
  private record Trainable(String path) {}

  // ---- with a config: saving_lib's walk ----

  private void assignByConfig(KerasModelConfig model, TreeMap<String, Hdf5Reader.DatasetEntry> datasets,
      Map<String, String> names, List<Trainable> trainable) {
    List<KerasWeightLayout.LayerVariables> plan = KerasWeightLayout.plan(model, dialect);
    Set<String> planned = new HashSet<>();
    plan.forEach(lv -> planned.add(lv.h5Root()));
    Set<String> taken = new HashSet<>();
    Map<String, Boolean> trainableLayer = trainableFlags(model);
    for (KerasWeightLayout.LayerVariables lv : plan) {
      KerasWeightLayout.LayerVariables actual = lv;
      if (!hasData(lv.h5Root(), datasets) && KerasWeightLayout.hasVariables(layerAt(model, lv.layerPath()))) {
        String substitute = substitute(lv, datasets, planned, taken);
        if (substitute != null) {
          actual = rebase(lv, substitute);
          notes.add("layer '" + lv.name() + "' (" + lv.className() + ") has no group " + lv.h5Root() + "; took "
              + substitute + ", the next group of its class (matched by class and order)");
        }
      }
      taken.add(actual.h5Root());
      List<Weight> ws = new ArrayList<>();
      for (KerasWeightLayout.VarGroup g : actual.groups()) {
        if (g.known()) {
          List<String> found = indexed(g.h5Group(), datasets);
          boolean fits = found.size() == g.names().size();
          for (int i = 0; i < found.size(); i++) {
            String name = fits ? g.pathPrefix() + "/" + g.names().get(i) : g.pathPrefix() + "/vars/" + i;
            names.put(found.get(i), name);
            ws.add(weight(found.get(i), datasets));
            if (fits && trainableLayer.getOrDefault(String.join("\u0000", lv.layerPath()), true)
                && !g.names().get(i).startsWith("moving_")) {
              trainable.add(new Trainable(name));
            }
          }
        } else {
          String prefix = g.h5Group() + "/";
          for (String path : datasets.keySet()) {
            if (path.startsWith(prefix)) {
              names.put(path, g.pathPrefix() + "/" + path.substring(prefix.length()));
              ws.add(weight(path, datasets));
            }
          }
        }
      }
      byLayer.put(lv.layerPath(), ws);
    }
  }

  /** Per layer path (joined by NUL): whether its variables are trainable (the layer's and its models' flags). */
  private static Map<String, Boolean> trainableFlags(KerasModelConfig model) {
    Map<String, Boolean> out = new HashMap<>();
    flags(model, List.of(), true, out);
    return out;
  }

  private static void flags(KerasModelConfig model, List<String> path, boolean parent, Map<String, Boolean> out) {
    for (KerasModelConfig.Layer l : model.layers()) {
      List<String> p = new ArrayList<>(path);
      p.add(l.name());
      boolean t = parent && (l.config() == null || l.config().path("trainable").asBoolean(true));
      out.put(String.join("\u0000", p), t);
      if (l.isModel()) {
        flags(l.nested(), p, t, out);
      }
    }
  }

  private static KerasModelConfig.Layer layerAt(KerasModelConfig model, List<String> path) {
    KerasModelConfig m = model;
    KerasModelConfig.Layer found = null;
    for (String name : path) {
      found = null;
      for (KerasModelConfig.Layer l : m.layers()) {
        if (l.name().equals(name)) {
          found = l;
          break;
        }
      }
      if (found == null) {
        throw new IllegalStateException("no layer " + path);
      }
      if (found.isModel()) {
        m = found.nested();
      }
    }
    return found;
  }

  private static boolean hasData(String root, TreeMap<String, Hdf5Reader.DatasetEntry> datasets) {
    String prefix = root + "/";
    String next = datasets.ceilingKey(prefix);
    return next != null && next.startsWith(prefix);
  }

  /** The next group beside {@code lv}'s, of its class ({@code conv2d}, {@code conv2d_N}), that holds data and no plan claims. */
  private static String substitute(KerasWeightLayout.LayerVariables lv, TreeMap<String, Hdf5Reader.DatasetEntry> datasets,
      Set<String> planned, Set<String> taken) {
    int slash = lv.h5Root().lastIndexOf('/');
    String parent = lv.h5Root().substring(0, slash + 1);
    String base = KerasWeightLayout.snakeCase(KerasWeightLayout.pythonClass(lv.className()));
    Pattern sibling = Pattern.compile(Pattern.quote(parent + base) + "(_(\\d+))?");
    TreeMap<Integer, String> candidates = new TreeMap<>();
    for (String path : datasets.keySet()) {
      if (!path.startsWith(parent)) {
        continue;
      }
      int end = path.indexOf('/', parent.length());
      String root = end < 0 ? path : path.substring(0, end);
      Matcher m = sibling.matcher(root);
      if (m.matches() && !taken.contains(root) && !(planned.contains(root) && !root.equals(lv.h5Root()))) {
        candidates.putIfAbsent(m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), root);
      }
    }
    return candidates.isEmpty() ? null : candidates.firstEntry().getValue();
  }

  private static KerasWeightLayout.LayerVariables rebase(KerasWeightLayout.LayerVariables lv, String root) {
    List<KerasWeightLayout.VarGroup> groups = new ArrayList<>();
    for (KerasWeightLayout.VarGroup g : lv.groups()) {
      groups.add(new KerasWeightLayout.VarGroup(root + g.h5Group().substring(lv.h5Root().length()), g.pathPrefix(),
          g.names()));
    }
    return new KerasWeightLayout.LayerVariables(lv.layerPath(), lv.className(), root, groups);
  }

  /** The datasets {@code group/0}, {@code group/1}, ... in numeric order. */
  private static List<String> indexed(String group, TreeMap<String, Hdf5Reader.DatasetEntry> datasets) {
    TreeMap<Integer, String> found = new TreeMap<>();
    String prefix = group + "/";
    for (String path : datasets.tailMap(prefix).keySet()) {
      if (!path.startsWith(prefix)) {
        break;
      }
      String rest = path.substring(prefix.length());
      if (INDEX.matcher(rest).matches() && rest.length() < 9) {
        found.put(Integer.parseInt(rest), path);
      }
    }
    return new ArrayList<>(found.values());
  }

  private static Weight weight(String path, TreeMap<String, Hdf5Reader.DatasetEntry> datasets) {
    Hdf5Reader.DatasetEntry d = datasets.get(path);
    return new Weight(path, path, d.dtype(), d.shape()); // tensor names are set once all names are known
  }

  // ---- without a config: group names ----

  /**
   * Layers recognised by their groups: {@code <container>/<snake class>[_N]} under {@code layers} (or tf.keras
   * 2.13's container), recursing into nested models' {@code layers}; named by the {@code name} attribute of their
   * {@code vars} group when Keras stored one, else by the group.
   */
  private void assignByGroupNames(TreeMap<String, Hdf5Reader.DatasetEntry> datasets, Map<String, String> names,
      List<Trainable> trainable) {
    Map<String, String> groupNames = h5.groups();
    Map<String, String> classes = KerasWeightLayout.classesBySnakeCase();
    Set<String> roots = new java.util.TreeSet<>(KerasWeightLayout::naturalCompare);
    String container = dialect.container() + "/";
    for (String path : datasets.keySet()) {
      String root = layerRoot(path, container);
      if (root != null) {
        roots.add(root);
      }
    }
    for (String group : groupNames.keySet()) { // layers without variables have an empty vars group (Keras 3.9+)
      String root = group.endsWith("/vars") ? layerRoot(group, container) : null;
      if (root != null) {
        roots.add(root);
      }
    }
    for (String root : roots) {
      String segment = root.substring(root.lastIndexOf('/') + 1);
      String cls = classes.get(segment.replaceFirst("_\\d+$", ""));
      String name = groupNames.getOrDefault(root + "/vars", "");
      if (name.isEmpty()) {
        name = segment;
      }
      List<Weight> ws = new ArrayList<>();
      List<String> own = indexed(root + "/vars", datasets);
      List<String> cell = indexed(root + "/cell/vars", datasets);
      List<String> roles = cls == null ? null : KerasWeightLayout.variableNames(cls, null);
      if (cls != null && KerasWeightLayout.RECURRENT.contains(cls) && own.isEmpty() && (cell.size() == 2
          || cell.size() == 3)) {
        String cellName = groupNames.getOrDefault(root + "/cell/vars", "");
        String prefix = name + "/" + (cellName.isEmpty() ? KerasWeightLayout.cellName(cls) : cellName);
        List<String> rnnRoles = List.of("kernel", "recurrent_kernel", "bias");
        for (int i = 0; i < cell.size(); i++) {
          names.put(cell.get(i), prefix + "/" + rnnRoles.get(i));
          trainable.add(new Trainable(prefix + "/" + rnnRoles.get(i)));
          ws.add(weight(cell.get(i), datasets));
        }
      } else if (roles != null && !roles.isEmpty() && fitsRoles(cls, own.size(), roles)) {
        List<String> fitted = fittedRoles(cls, own.size(), roles);
        for (int i = 0; i < own.size(); i++) {
          names.put(own.get(i), name + "/" + fitted.get(i));
          if (!fitted.get(i).startsWith("moving_")) {
            trainable.add(new Trainable(name + "/" + fitted.get(i)));
          }
          ws.add(weight(own.get(i), datasets));
        }
      }
      byLayer.put(List.of(name), ws);
    }
  }

  /** {@code layers/dense_1} of {@code layers/dense_1/vars/0}; nested models recurse ({@code layers/functional/layers/dense}). */
  private static String layerRoot(String path, String container) {
    if (!path.startsWith(container)) {
      return null;
    }
    String rest = path;
    String root = null;
    int at = 0;
    while (rest.startsWith(container, at)) {
      int end = rest.indexOf('/', at + container.length());
      if (end < 0) {
        return null;
      }
      root = rest.substring(0, end);
      at = end + 1;
    }
    return root;
  }

  /** Whether a layer of this class can hold {@code count} variables (a bias or BN's scale/center may be left out). */
  private static boolean fitsRoles(String cls, int count, List<String> all) {
    return fittedRoles(cls, count, all) != null;
  }

  private static List<String> fittedRoles(String cls, int count, List<String> all) {
    if (count == all.size()) {
      return all;
    }
    if (count == all.size() - 1 && all.get(all.size() - 1).equals("bias")) {
      return all.subList(0, count); // use_bias=False
    }
    return null;
  }

  // ---- the optimizer ----

  /**
   * {@code optimizer/vars/<i>} in the order of {@code optimizer.variables}: {@code iteration}, {@code learning_rate}
   * (a variable unless it is a schedule), then the slots of the optimizer's class per trainable variable, named
   * as Keras 3 names them ({@code dense_kernel_momentum}). When the class is unknown or the count does not match
   * that plan (an optimizer built for other variables, EMA, gradient accumulation), {@code optimizer/vars/<i>}.
   */
  private void nameOptimizer(JsonNode compileConfig, TreeMap<String, Hdf5Reader.DatasetEntry> datasets,
      Map<String, String> names, List<Trainable> trainable) {
    List<String> vars = indexed("optimizer/vars", datasets);
    if (vars.isEmpty()) {
      return;
    }
    List<String> slotNames = OptimizerSlots.names(compileConfig == null ? null : compileConfig.get("optimizer"),
        trainable.stream().map(Trainable::path).toList(), dialect == KerasWeightLayout.Dialect.TF_KERAS_2_13);
    boolean fits = slotNames != null && slotNames.size() == vars.size();
    if (slotNames != null && !fits) {
      notes.add("the optimizer holds " + vars.size() + " variables, not the " + slotNames.size() + " its class and "
          + "the model's trainable variables make: they keep their numbers (optimizer/vars/<i>)");
    }
    for (int i = 0; i < vars.size(); i++) {
      names.put(vars.get(i), fits ? "optimizer/" + slotNames.get(i) : "optimizer/vars/" + i);
      optimizerTensors.add(vars.get(i));
    }
  }

  // ---- accessors ----

  public KerasWeightLayout.Dialect dialect() {
    return dialect;
  }

  /** The model config the weights were mapped with; null when mapped by group names. */
  public KerasModelConfig config() {
    return config;
  }

  /** What mapping did that the user should know (a layer matched by class and order). */
  public List<String> notes() {
    return Collections.unmodifiableList(notes);
  }

  /** Tensor names of the optimizer's variables, in its order. */
  public List<String> optimizerTensors() {
    return Collections.unmodifiableList(optimizerTensors);
  }

  /** The HDF5 dataset a tensor of {@link #tensors()} is read from ({@code optimizer/vars/3}). */
  public String datasetPath(String tensor) {
    require(tensor);
    return datasetOf.get(tensor);
  }

  /** Per layer path, the layer's weights (tensor names as {@link #tensors()} lists them). */
  public Map<List<String>, List<Weight>> layers() {
    return Collections.unmodifiableMap(byLayer);
  }

  public Hdf5Reader hdf5() {
    return h5;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return format;
  }

  @Override
  public List<TensorInfo> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  @Override
  public TensorData read(String name) {
    require(name);
    return h5.read(datasetOf.get(name));
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    throw new WrongInputException("Tensor '" + name + "' of " + location() + " is not partitioned");
  }

  @Override
  public List<Weight> of(List<String> layerPath) {
    return byLayer.getOrDefault(layerPath, List.of());
  }

  @Override
  public TensorData read(Weight weight) {
    return read(weight.tensor());
  }

  @Override
  public String kerasVersion() {
    return kerasVersion;
  }

  @Override
  public String backend() {
    return null;
  }

  @Override
  public boolean namesAreVariablePaths() {
    return true;
  }

  @Override
  public void close() {
    h5.close();
  }
}
