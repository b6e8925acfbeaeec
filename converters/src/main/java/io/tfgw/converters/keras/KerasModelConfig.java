package io.tfgw.converters.keras;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;

/**
 * A Keras {@code model_config} (or {@code model.to_json()}, or a {@code .keras}'s {@code config.json}) as a graph
 * of layers, for every way Keras wrote it: Keras 1 Sequential (a bare list of layers), Keras 2 Sequential
 * ({@code {"name", "layers"}}), functional models ({@code Model} / {@code Functional}, with {@code inbound_nodes} as
 * {@code [[name, node, tensor, kwargs], ...]}), and Keras 3 ({@code module}, {@code registered_name},
 * {@code build_config}, {@code inbound_nodes} as {@code {"args": [keras tensors with keras_history]}}). A
 * Sequential model becomes a chain whose input is its InputLayer or, when it has none, an input named
 * {@code <first layer>_input} shaped by the first layer's {@code batch_input_shape} (or its Keras 3
 * {@code build_config}). A layer that is itself a Sequential or functional model carries its parsed config
 * ({@link Layer#nested()}); wrappers ({@code TimeDistributed}, {@code Bidirectional}) expose the wrapped layer.
 *
 * <p>Parsing only reads JSON: nothing in a config is ever executed (a {@code Lambda}'s marshalled bytecode stays a
 * string; see {@link #unsafeLayers()}).
 */
public final class KerasModelConfig {
  /** Nested models deeper than this are a crafted file, not a model. */
  static final int MAX_NESTING = 32;

  /** Output {@code tensor} of call {@code node} of layer {@code layer}. */
  public record Ref(String layer, int node, int tensor) {}

  /**
   * One layer: Keras class, name, its config, per call (node) the tensors it was called on, the whole JSON object
   * that describes it ({@code module}, {@code registered_name}, {@code build_config}, ...) and, when the layer is a
   * Sequential or functional model, that model.
   */
  public record Layer(String className, String name, JsonNode config, List<List<Ref>> inboundNodes, JsonNode spec,
      KerasModelConfig nested) {
    public Layer(String className, String name, JsonNode config, List<List<Ref>> inboundNodes) {
      this(className, name, config, inboundNodes, null, null);
    }

    /** The Python module the class came from (Keras 3, tf.keras 2.13+), or null. */
    public String module() {
      JsonNode m = spec == null ? null : spec.get("module");
      return m == null || m.isNull() ? null : m.asText();
    }

    /** {@code registered_name} (Keras 3): {@code package>Class} for custom objects, or null. */
    public String registeredName() {
      JsonNode r = spec == null ? null : spec.get("registered_name");
      return r == null || r.isNull() ? null : r.asText();
    }

    public boolean isModel() {
      return nested != null;
    }

    /**
     * Whether the class is not one of Keras's own: a registered custom object ({@code package>Class}), or a class
     * from a module outside Keras (a subclass defined in the user's code).
     */
    public boolean isCustom() {
      String registered = registeredName();
      if (registered != null && registered.contains(">")) {
        return true;
      }
      String module = module();
      return module != null && !module.startsWith("keras") && !module.startsWith("tf_keras")
          && !module.startsWith("tensorflow");
    }

    /** The layer a {@code TimeDistributed} or {@code Bidirectional} wraps (its {@code layer} config), or null. */
    public Layer wrapped() {
      JsonNode inner = config == null ? null : config.get("layer");
      if (inner == null || !inner.isObject() || !inner.has("class_name")) {
        return null;
      }
      JsonNode cfg = inner.get("config");
      String cls = inner.get("class_name").asText();
      return new Layer(cls, layerName(inner, cfg, cls), cfg, List.of(), inner, null);
    }
  }

  private final String className;
  private final String name;
  private final List<Layer> layers;
  private final List<Ref> inputs;
  private final List<Ref> outputs;
  private final JsonNode root;

  private KerasModelConfig(String className, String name, List<Layer> layers, List<Ref> inputs, List<Ref> outputs,
      JsonNode root) {
    this.className = className;
    this.name = name;
    this.layers = List.copyOf(layers);
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.root = root;
  }

  public String className() {
    return className;
  }

  public String name() {
    return name;
  }

  /** The layers as the config lists them (a Sequential model's implicit input first, when it has none of its own). */
  public List<Layer> layers() {
    return layers;
  }

  public List<Ref> inputs() {
    return inputs;
  }

  public List<Ref> outputs() {
    return outputs;
  }

  /** The JSON object the model was parsed from. */
  public JsonNode json() {
    return root;
  }

  /** Every layer of this model and of the models nested in it, depth first. */
  public List<Layer> allLayers() {
    List<Layer> out = new ArrayList<>();
    for (Layer l : layers) {
      out.add(l);
      if (l.isModel()) {
        out.addAll(l.nested().allLayers());
      }
    }
    return out;
  }

  /**
   * Layers whose config holds code, which tfgw never runs: {@code Lambda} (marshalled Python bytecode) and layers
   * whose config names a Python function ({@code __lambda__} / {@code function} class names), as
   * {@code name (Class)}.
   */
  public List<String> unsafeLayers() {
    List<String> out = new ArrayList<>();
    for (Layer l : allLayers()) {
      if (l.className().equals("Lambda") || holdsCode(l.config(), 0)) {
        out.add(l.name() + " (" + l.className() + ")");
      }
    }
    return out;
  }

  private static boolean holdsCode(JsonNode n, int depth) {
    if (n == null || depth > 64) {
      return false;
    }
    if (n.isObject()) {
      String cls = n.path("class_name").asText("");
      if (cls.equals("__lambda__") || cls.equals("__function__") && !n.path("module").asText("").startsWith("keras")) {
        return true;
      }
      for (JsonNode c : (Iterable<JsonNode>) n::elements) {
        if (holdsCode(c, depth + 1)) {
          return true;
        }
      }
    } else if (n.isArray()) {
      for (JsonNode c : n) {
        if (holdsCode(c, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  /** JSON from a file: size limits raised for large configs, nesting bounded. */
  static JsonNode readJson(String json, String where, String what) {
    ObjectMapper mapper = new ObjectMapper();
    mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(500)
        .maxStringLength(256 << 20).build());
    try {
      return mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CorruptInputException(where + ": " + what + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  public static KerasModelConfig parse(String json, String where) {
    JsonNode root = readJson(json, where, "model_config");
    if (root == null || !root.isObject() || !root.has("class_name")) {
      throw new CorruptInputException(where + ": model_config has no class_name");
    }
    return fromJson(root, where, 0);
  }

  /** Whether a layer entry is a Sequential or functional model (whose config lists layers). */
  static boolean isModelEntry(JsonNode layer) {
    String cls = layer.path("class_name").asText("");
    JsonNode cfg = layer.get("config");
    boolean listsLayers = cfg != null && (cfg.isArray() || cfg.isObject() && cfg.has("layers"));
    return listsLayers && Set.of("Sequential", "Model", "Functional").contains(cls);
  }

  static KerasModelConfig fromJson(JsonNode root, String where, int depth) {
    if (depth > MAX_NESTING) {
      throw new UnsupportedInputException(where + ": models nest deeper than " + MAX_NESTING + " levels");
    }
    String cls = root.get("class_name").asText();
    JsonNode config = root.get("config");
    switch (cls) {
      case "Sequential":
        return sequential(root, config, where, depth);
      case "Model":
      case "Functional":
        return functional(root, cls, config, where, depth);
      default:
        throw new UnsupportedInputException(where + " holds a " + cls + " model"
            + (root.path("registered_name").isTextual() ? " (" + root.get("registered_name").asText() + ")" : "")
            + "; tfgw builds graphs for Sequential and functional (Model/Functional) Keras models, not subclassed "
            + "ones, whose structure lives in Python code");
    }
  }

  private static Layer layer(JsonNode l, String where, int depth, List<List<Ref>> inbound) {
    if (!l.isObject() || !l.path("class_name").isTextual()) {
      throw new CorruptInputException(where + ": a layer entry of the model config has no class_name: "
          + abbreviate(l.toString()));
    }
    String cls = l.get("class_name").asText();
    JsonNode cfg = l.get("config");
    boolean model = isModelEntry(l);
    if (!model && (cfg == null || !cfg.isObject())) {
      throw new CorruptInputException(where + ": layer " + cls + " of the model config has no config object: "
          + abbreviate(l.toString()));
    }
    String name = layerName(l, cfg, cls);
    KerasModelConfig nested = model ? fromJson(l, where, depth + 1) : null;
    return new Layer(cls, name, cfg, inbound, l, nested);
  }

  private static KerasModelConfig sequential(JsonNode root, JsonNode config, String where, int depth) {
    JsonNode list = config != null && config.isArray() ? config : config == null ? null : config.get("layers");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new CorruptInputException(where + ": the Sequential model_config lists no layers");
    }
    String modelName = config.isObject() && config.has("name") ? config.get("name").asText() : "sequential";
    List<Layer> layers = new ArrayList<>();
    Ref previous = null;
    for (int i = 0; i < list.size(); i++) {
      JsonNode l = list.get(i);
      List<List<Ref>> inbound = previous == null ? List.of() : List.of(List.of(previous));
      Layer layer = layer(l, where, depth, inbound);
      if (i == 0 && !layer.className().equals("InputLayer")) {
        // without a shape the input stays unknown: the graph builder refuses it, inspect still lists the layers
        JsonNode shape = inputShape(root, config, l, layer);
        ObjectNode in = new ObjectMapper().createObjectNode();
        if (shape != null) {
          in.set("batch_input_shape", shape);
        }
        JsonNode dtype = layer.config() == null ? null : layer.config().get("dtype");
        in.put("dtype", dtype != null && dtype.isTextual() ? dtype.asText() : "float32");
        String inputName = layer.name() + "_input";
        in.put("name", inputName);
        layers.add(new Layer("InputLayer", inputName, in, List.of()));
        previous = new Ref(inputName, 0, 0);
        layer = new Layer(layer.className(), layer.name(), layer.config(), List.of(List.of(previous)), layer.spec(),
            layer.nested());
      }
      layers.add(layer);
      previous = new Ref(layer.name(), 0, 0);
    }
    return new KerasModelConfig("Sequential", modelName, layers, List.of(new Ref(layers.get(0).name(), 0, 0)),
        List.of(previous), root);
  }

  /**
   * A Sequential model's input shape when it has no InputLayer: the first layer's {@code batch_input_shape} (Keras
   * 1/2), {@code input_dim} (Keras 1), its {@code build_config} (Keras 3), the model's {@code build_config} or
   * {@code build_input_shape}.
   */
  private static JsonNode inputShape(JsonNode root, JsonNode config, JsonNode entry, Layer first) {
    JsonNode cfg = first.config();
    JsonNode shape = firstNonNull(cfg, "batch_input_shape", "batch_shape");
    if (shape == null && cfg != null && cfg.has("input_dim") && !first.className().equals("Embedding")) {
      shape = new ObjectMapper().createArrayNode().addNull().add(cfg.get("input_dim").asLong());
    }
    if (shape == null) {
      shape = validShape(entry.path("build_config").get("input_shape"));
    }
    if (shape == null) {
      shape = validShape(root.path("build_config").get("input_shape"));
    }
    if (shape == null && config != null && config.isObject()) {
      shape = validShape(config.get("build_input_shape"));
    }
    if (shape == null && cfg != null && first.className().equals("Embedding")
        && cfg.path("input_length").isIntegralNumber()) {
      shape = new ObjectMapper().createArrayNode().addNull().add(cfg.get("input_length").asLong());
    }
    return shape;
  }

  private static JsonNode validShape(JsonNode s) {
    return s != null && s.isArray() && !s.isEmpty() ? s : null;
  }

  private static KerasModelConfig functional(JsonNode root, String cls, JsonNode config, String where, int depth) {
    if (config == null || !config.has("layers") || !config.get("layers").isArray()) {
      throw new CorruptInputException(where + ": the " + cls + " model_config lists no layers");
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonNode l : config.get("layers")) {
      List<List<Ref>> inbound = new ArrayList<>();
      JsonNode nodes = l.get("inbound_nodes");
      if (nodes != null) {
        for (JsonNode node : nodes) {
          List<Ref> refs = new ArrayList<>();
          if (node.isArray()) {
            for (JsonNode r : node) {
              refs.add(ref(r, where));
            }
          } else {
            collectHistory(node.get("args"), refs, where, 0);
          }
          inbound.add(refs);
        }
      }
      layers.add(layer(l, where, depth, inbound));
    }
    String modelName = config.has("name") ? config.get("name").asText() : "model";
    List<Ref> outputs = refs(config.get("output_layers"), where);
    Map<String, Integer> offsets = nodeOffsets(layers, outputs);
    if (!offsets.isEmpty()) {
      List<Layer> shifted = new ArrayList<>();
      for (Layer l : layers) {
        List<List<Ref>> nodes = new ArrayList<>();
        l.inboundNodes().forEach(node -> nodes.add(shift(node, offsets)));
        shifted.add(new Layer(l.className(), l.name(), l.config(), nodes, l.spec(), l.nested()));
      }
      layers = shifted;
      outputs = shift(outputs, offsets);
    }
    return new KerasModelConfig(cls, modelName, layers, refs(config.get("input_layers"), where), outputs, root);
  }

  /**
   * A model used as a layer may start with a node of its own (the one linking its inputs to its outputs when it was
   * built), which the config leaves out of its {@code inbound_nodes} but counts in the node indices that refer to
   * it: Keras 3 does this for functional models, tf.keras for functional and Sequential models built with an input.
   * The offset per such layer is the one that puts every reference to it within its listed nodes (1 when both fit,
   * as Keras 3 reads functional models; 0 for a Sequential model).
   */
  private static Map<String, Integer> nodeOffsets(List<Layer> layers, List<Ref> outputs) {
    Map<String, Integer> maxRef = new HashMap<>();
    Map<String, Integer> minRef = new HashMap<>();
    List<Ref> all = new ArrayList<>(outputs);
    layers.forEach(l -> l.inboundNodes().forEach(all::addAll));
    for (Ref r : all) {
      maxRef.merge(r.layer(), r.node(), Math::max);
      minRef.merge(r.layer(), r.node(), Math::min);
    }
    Map<String, Integer> out = new HashMap<>();
    for (Layer l : layers) {
      if (!l.isModel() || !maxRef.containsKey(l.name())) {
        continue;
      }
      int size = l.inboundNodes().size();
      boolean fitsShifted = minRef.get(l.name()) >= 1 && maxRef.get(l.name()) - 1 < size;
      boolean fitsAsIs = maxRef.get(l.name()) < size;
      boolean preferShift = !l.nested().className().equals("Sequential");
      if (fitsShifted && (preferShift || !fitsAsIs)) {
        out.put(l.name(), 1);
      }
    }
    return out;
  }

  private static List<Ref> shift(List<Ref> refs, Map<String, Integer> offsets) {
    List<Ref> out = new ArrayList<>();
    for (Ref r : refs) {
      out.add(new Ref(r.layer(), r.node() - offsets.getOrDefault(r.layer(), 0), r.tensor()));
    }
    return out;
  }

  private static Ref ref(JsonNode r, String where) {
    if (r == null || !r.isArray() || r.size() < 3 || !r.get(0).isTextual()) {
      throw new CorruptInputException(where + ": a layer reference should be [name, node, tensor], not "
          + abbreviate(String.valueOf(r)));
    }
    return new Ref(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt());
  }

  /** Keras 3: the keras_history [layer, node, tensor] of every keras tensor among a call's arguments. */
  private static void collectHistory(JsonNode n, List<Ref> out, String where, int depth) {
    if (n == null || depth > 64) {
      return;
    }
    if (n.isObject()) {
      JsonNode cfg = n.get("config");
      if ("__keras_tensor__".equals(n.path("class_name").asText()) && cfg != null && cfg.has("keras_history")) {
        out.add(ref(cfg.get("keras_history"), where));
        return;
      }
      n.elements().forEachRemaining(c -> collectHistory(c, out, where, depth + 1));
    } else if (n.isArray()) {
      n.elements().forEachRemaining(c -> collectHistory(c, out, where, depth + 1));
    }
  }

  private static List<Ref> refs(JsonNode n, String where) {
    List<Ref> out = new ArrayList<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (n.isArray() && n.size() == 3 && n.get(0).isTextual()) {
      out.add(ref(n, where)); // Keras 3: a single [name, 0, 0]
      return out;
    }
    if (n.isObject()) { // Keras 3 dict inputs/outputs: {"key": [name, 0, 0], ...}
      n.elements().forEachRemaining(r -> out.addAll(refs(r, where)));
      return out;
    }
    for (JsonNode r : n) {
      out.add(ref(r, where));
    }
    return out;
  }

  static String layerName(JsonNode layer, JsonNode cfg, String fallback) {
    if (layer.has("name") && layer.get("name").isTextual()) {
      return layer.get("name").asText();
    }
    if (cfg != null && cfg.has("name") && cfg.get("name").isTextual()) {
      return cfg.get("name").asText();
    }
    return fallback;
  }

  static JsonNode firstNonNull(JsonNode cfg, String... keys) {
    for (String k : keys) {
      JsonNode v = cfg == null ? null : cfg.get(k);
      if (v != null && !v.isNull()) {
        return v;
      }
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }
}
