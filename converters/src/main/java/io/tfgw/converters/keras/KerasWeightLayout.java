package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where Keras's {@code saving_lib} puts each layer's variables in a weights HDF5 ({@code model.weights.h5} inside a
 * {@code .keras}, or a {@code .weights.h5}), and what Keras 3 calls those variables. The one place that knows the
 * layout, so that reading and writing agree.
 *
 * <p>{@code _save_state} walks the model object: its own variables go to {@code <path>/vars/<i>} (in
 * {@code save_own_variables} order: trainable, then non-trainable, in creation order); for a Sequential or
 * functional model the {@code layers} list comes first, then every other attribute in sorted {@code dir()} order
 * with private ones last. A list's elements are named by their class in snake case, made unique by a counter
 * ({@code dense}, {@code dense_1}, ... counted per list, whatever the layers' own names), and an object already
 * saved is skipped. So a functional model's third Conv2D is {@code layers/conv2d_2}, its layers in config order
 * (InputLayers included; a Sequential model leaves its InputLayer out), a nested model's layers are
 * {@code layers/<model>/layers/...}, an LSTM's variables live in its {@code cell} attribute, a Bidirectional's in
 * {@code forward_layer/cell} and {@code backward_layer/cell}, a TimeDistributed's in {@code layer}.
 *
 * <p>tf.keras 2.13-2.15 wrote the same files but reached the layers through {@code _layer_checkpoint_dependencies},
 * a dict holding each layer with weights twice ({@code layer_with_weights-N}, then {@code layer-M}): the counter
 * advances for both entries while only the first is saved, so numbering skips ({@code conv2d}, {@code conv2d_2}).
 *
 * <p>A variable's Keras 3 path is what {@code keras.saving.load_model} gives it: the layer's name and the
 * variable's ({@code dense/kernel}), below an RNN cell ({@code lstm/lstm_cell/kernel}); a Bidirectional's are its
 * {@code forward_<name>} and {@code backward_<name>} layers' ({@code forward_gru/gru_cell/kernel}); a
 * TimeDistributed's are the wrapped layer's ({@code dense/kernel}); nested models add nothing.
 */
public final class KerasWeightLayout {
  /** Which walk wrote the file. */
  public enum Dialect {
    /** Keras 3: {@code layers/<class>[_N]/vars/<i>}. */
    KERAS3("layers"),
    /** tf.keras 2.13-2.15's {@code keras_v3} format: {@code _layer_checkpoint_dependencies/...}. */
    TF_KERAS_2_13("_layer_checkpoint_dependencies");

    private final String container;

    Dialect(String container) {
      this.container = container;
    }

    /** The name of the group that holds a model's layers. */
    public String container() {
      return container;
    }
  }

  /**
   * One group of variables: the HDF5 group that holds them as datasets {@code 0..n-1}, the Keras 3 path prefix of
   * their names, and their names in order (null when tfgw does not know the class: then the whole group's subtree
   * belongs to the layer and keeps the file's names).
   */
  public record VarGroup(String h5Group, String pathPrefix, List<String> names) {
    public boolean known() {
      return names != null;
    }
  }

  /**
   * A layer that holds (or may hold) variables: its names from the outermost model down ({@code [encoder,
   * conv2d]}), its class, the group saving_lib gave it, and where its variables are, in Keras's order.
   */
  public record LayerVariables(List<String> layerPath, String className, String h5Root, List<VarGroup> groups) {
    public String name() {
      return layerPath.get(layerPath.size() - 1);
    }
  }

  /** Layers without variables of their own, whatever their config. */
  static final Set<String> WEIGHTLESS = Set.of("InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
      "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Activation",
      "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Flatten", "Reshape", "Permute", "RepeatVector",
      "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
      "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAveragePooling1D",
      "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
      "GlobalMaxPooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
      "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D",
      "UpSampling2D", "UpSampling3D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
      "Dot", "Masking", "Identity", "UnitNormalization", "Rescaling", "CenterCrop", "Resizing");

  static final Set<String> RECURRENT = Set.of("SimpleRNN", "LSTM", "GRU");

  private static final Pattern NON_WORD = Pattern.compile("\\W+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern CAMEL_1 = Pattern.compile("(.)([A-Z][a-z]+)");
  private static final Pattern CAMEL_2 = Pattern.compile("([a-z])([A-Z])");

  private final Dialect dialect;
  private final List<LayerVariables> out = new ArrayList<>();

  private KerasWeightLayout(Dialect dialect) {
    this.dialect = dialect;
  }

  /** Every layer of the model (nested ones included, models themselves left out) with its variable groups. */
  public static List<LayerVariables> plan(KerasModelConfig model, Dialect dialect) {
    KerasWeightLayout layout = new KerasWeightLayout(dialect);
    layout.model(model, "", List.of());
    return layout.out;
  }

  /** Keras's {@code naming.to_snake_case}: how saving_lib names an object by its class. */
  public static String snakeCase(String className) {
    String s = NON_WORD.matcher(className).replaceAll("");
    s = CAMEL_1.matcher(s).replaceAll("$1_$2");
    return CAMEL_2.matcher(s).replaceAll("$1_$2").toLowerCase(Locale.ROOT);
  }

  /** The Python class behind a config's class name (functional models are {@code Functional} objects). */
  static String pythonClass(String className) {
    return className.equals("Model") ? "Functional" : className;
  }

  /** The layers saving_lib finds in a model's {@code layers}: a Sequential model's InputLayer is not among them. */
  static List<KerasModelConfig.Layer> savedLayers(KerasModelConfig model) {
    List<KerasModelConfig.Layer> layers = model.layers();
    if (model.className().equals("Sequential") && !layers.isEmpty() && layers.get(0).className().equals("InputLayer")) {
      return layers.subList(1, layers.size());
    }
    return layers;
  }

  private void model(KerasModelConfig model, String root, List<String> path) {
    Map<String, Integer> used = new HashMap<>();
    String prefix = root.isEmpty() ? dialect.container() + "/" : root + "/" + dialect.container() + "/";
    for (KerasModelConfig.Layer l : savedLayers(model)) {
      String group = uniqueName(snakeCase(pythonClass(l.className())), used);
      if (dialect == Dialect.TF_KERAS_2_13 && hasVariables(l)) {
        uniqueName(snakeCase(pythonClass(l.className())), used); // the layer's second entry, "layer-N"
      }
      List<String> layerPath = new ArrayList<>(path);
      layerPath.add(l.name());
      layer(l, prefix + group, layerPath);
    }
  }

  /** saving_lib's {@code _get_unique_name}: the first use as is, then {@code _1}, {@code _2}, ... */
  private static String uniqueName(String name, Map<String, Integer> used) {
    Integer n = used.get(name);
    if (n == null) {
      used.put(name, 0);
      return name;
    }
    used.put(name, n + 1);
    return name + "_" + (n + 1);
  }

  private void layer(KerasModelConfig.Layer l, String h5Root, List<String> path) {
    if (l.isModel()) {
      model(l.nested(), h5Root, path);
      return;
    }
    String cls = l.className();
    List<VarGroup> groups = new ArrayList<>();
    KerasModelConfig.Layer inner = l.wrapped();
    if (RECURRENT.contains(cls)) {
      groups.add(new VarGroup(h5Root + "/cell/vars", l.name() + "/" + cellName(cls), recurrentNames(l.config())));
    } else if (cls.equals("Bidirectional") && inner != null && RECURRENT.contains(inner.className())) {
      String innerName = inner.name();
      String forward = "forward_" + removePrefix(innerName, "forward_");
      JsonNode backwardSpec = l.config().get("backward_layer");
      String backward = backwardSpec != null && backwardSpec.path("config").path("name").isTextual()
          ? backwardSpec.get("config").get("name").asText() : "backward_" + removePrefix(innerName, "backward_");
      List<String> names = recurrentNames(inner.config());
      String cell = cellName(inner.className());
      groups.add(new VarGroup(h5Root + "/forward_layer/cell/vars", forward + "/" + cell, names));
      groups.add(new VarGroup(h5Root + "/backward_layer/cell/vars", backward + "/" + cell, names));
    } else if (cls.equals("TimeDistributed") && inner != null && !inner.isModel()) {
      String innerRoot = h5Root + "/layer";
      if (RECURRENT.contains(inner.className())) {
        groups.add(new VarGroup(innerRoot + "/cell/vars", inner.name() + "/" + cellName(inner.className()),
            recurrentNames(inner.config())));
      } else {
        List<String> names = variableNames(inner.className(), inner.config());
        groups.add(names == null ? new VarGroup(innerRoot, inner.name(), null)
            : new VarGroup(innerRoot + "/vars", inner.name(), names));
      }
    } else {
      List<String> names = l.isCustom() ? null : variableNames(cls, l.config());
      groups.add(names == null ? new VarGroup(h5Root, l.name(), null)
          : new VarGroup(h5Root + "/vars", l.name(), names));
    }
    out.add(new LayerVariables(List.copyOf(path), cls, h5Root, List.copyOf(groups)));
  }

  /** The classes tfgw knows by the snake-case group names saving_lib gives them ({@code dense} is Dense). */
  static Map<String, String> classesBySnakeCase() {
    Map<String, String> out = new HashMap<>();
    List<String> known = new ArrayList<>(List.of("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
        "SeparableConv1D", "SeparableConv2D", "BatchNormalization", "LayerNormalization", "GroupNormalization",
        "Embedding", "PReLU", "Attention"));
    known.addAll(RECURRENT);
    known.addAll(WEIGHTLESS);
    for (String cls : known) {
      out.putIfAbsent(snakeCase(cls), cls);
    }
    return out;
  }

  /** Names with digit runs compared as numbers: {@code dense_2} before {@code dense_10}. */
  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (Character.isDigit(x) && Character.isDigit(y)) {
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
        String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
        int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
        if (c != 0) {
          return c;
        }
      } else {
        if (x != y) {
          return Character.compare(x, y);
        }
        i++;
        j++;
      }
    }
    int c = Integer.compare(a.length() - i, b.length() - j);
    return c != 0 ? c : a.compareTo(b);
  }

  static String cellName(String rnnClass) {
    return snakeCase(rnnClass) + "_cell";
  }

  private static String removePrefix(String s, String prefix) {
    return s.startsWith(prefix) ? s.substring(prefix.length()) : s;
  }

  private static List<String> recurrentNames(JsonNode cfg) {
    return cfg != null && !cfg.path("use_bias").asBoolean(true) ? List.of("kernel", "recurrent_kernel")
        : List.of("kernel", "recurrent_kernel", "bias");
  }

  /**
   * A Keras 3 layer's variable names in {@code save_own_variables} order, from its class and config; an empty list
   * for layers without variables; null when tfgw does not know the class.
   */
  public static List<String> variableNames(String cls, JsonNode cfg) {
    if (WEIGHTLESS.contains(cls)) {
      return List.of();
    }
    boolean bias = cfg == null || cfg.path("use_bias").asBoolean(cfg.path("bias").asBoolean(true));
    switch (cls) {
      case "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
          "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution2DTranspose", "DepthwiseConv1D",
          "DepthwiseConv2D":
        return bias ? List.of("kernel", "bias") : List.of("kernel");
      case "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D":
        return bias ? List.of("depthwise_kernel", "pointwise_kernel", "bias")
            : List.of("depthwise_kernel", "pointwise_kernel");
      case "BatchNormalization": {
        List<String> names = new ArrayList<>();
        if (cfg == null || cfg.path("scale").asBoolean(true)) {
          names.add("gamma");
        }
        if (cfg == null || cfg.path("center").asBoolean(true)) {
          names.add("beta");
        }
        names.add("moving_mean");
        names.add("moving_variance");
        return names;
      }
      case "LayerNormalization", "GroupNormalization": {
        List<String> names = new ArrayList<>();
        if (cfg == null || cfg.path("scale").asBoolean(true)) {
          names.add("gamma");
        }
        if (cfg == null || cfg.path("center").asBoolean(true)) {
          names.add("beta");
        }
        return names;
      }
      case "Embedding":
        return List.of("embeddings");
      case "PReLU":
        return List.of("alpha");
      case "Attention": {
        List<String> names = new ArrayList<>();
        if (cfg != null && cfg.path("use_scale").asBoolean(false)) {
          names.add("scale");
        }
        if (cfg != null && cfg.path("score_mode").asText("dot").equals("concat")) {
          names.add("concat_score_weight");
        }
        return names;
      }
      default:
        return null;
    }
  }

  /** Whether a layer holds variables (tf.keras 2.13 counts those twice); unknown classes are assumed to. */
  static boolean hasVariables(KerasModelConfig.Layer l) {
    return holdsVariables(l, true);
  }

  /** Whether a layer is known to hold variables; unknown classes are assumed not to. */
  static boolean knownToHoldVariables(KerasModelConfig.Layer l) {
    return holdsVariables(l, false);
  }

  private static boolean holdsVariables(KerasModelConfig.Layer l, boolean unknownDoes) {
    if (l.isModel()) {
      for (KerasModelConfig.Layer inner : l.nested().layers()) {
        if (holdsVariables(inner, unknownDoes)) {
          return true;
        }
      }
      return false;
    }
    KerasModelConfig.Layer inner = l.wrapped();
    if (inner != null && Set.of("TimeDistributed", "Bidirectional").contains(l.className())) {
      return holdsVariables(inner, unknownDoes);
    }
    if (RECURRENT.contains(l.className())) {
      return true;
    }
    List<String> names = variableNames(l.className(), l.config());
    return names == null ? unknownDoes : !names.isEmpty();
  }
}
