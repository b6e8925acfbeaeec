package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * A Keras 1/2 or tf.keras {@code model_config} (or a tf.keras 2.13-2.15 {@code config.json}) as the Keras 3
 * {@code config.json} of the same model: every object as {@code {"module", "class_name", "config",
 * "registered_name"}}, functional models as {@code Functional}, InputLayers with {@code batch_shape}, a Sequential
 * model's input as an explicit InputLayer, dtypes as {@code DTypePolicy} objects.
 *
 * <p>It changes exactly what Keras 3's own legacy loader changes when it reads the {@code .h5}
 * ({@code legacy/saving/saving_utils.model_from_config}: {@code batch_input_shape} becomes an InputLayer's
 * {@code batch_shape}, a one-element {@code axis} list an int; {@code json_utils.decode}: {@code __tuple__} and
 * {@code TensorShape} objects become lists), so Keras 3 builds the same model from either file. What a layer's
 * constructor reads from its config (initializers, regularizers, activations as legacy dicts or names) is left as
 * it was: Keras 3's {@code from_config} reads those forms itself. Two things stay in their legacy form on purpose:
 * a functional layer's {@code inbound_nodes} lists ({@code [[name, node, tensor, kwargs]]}, which Keras 3's
 * {@code Functional.from_config} reads as such; the Keras 3 form needs every tensor's shape, which the legacy config
 * does not record) and the training config (the model is written uncompiled, see {@link KerasFileWriter}).
 */
final class KerasConfigUpgrade {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private KerasConfigUpgrade() {}

  /** The Keras 3 config of a model entry ({@code {"class_name": "Sequential"|"Model"|..., "config": ...}}). */
  static ObjectNode upgrade(JsonNode modelEntry) {
    JsonNode decoded = decodeTuples(modelEntry.deepCopy(), 0);
    return model((ObjectNode) decoded);
  }

  private static ObjectNode model(ObjectNode entry) {
    String cls = entry.path("class_name").asText();
    String k3 = cls.equals("Model") ? "Functional" : cls;
    JsonNode cfg = entry.get("config");
    ObjectNode config;
    if (cfg != null && cfg.isArray()) { // Keras 1 Sequential: a bare list of layers
      config = F.objectNode();
      config.put("name", "sequential");
      config.set("layers", cfg);
    } else {
      config = ((ObjectNode) cfg).deepCopy();
    }
    ArrayNode layers = F.arrayNode();
    JsonNode list = config.get("layers");
    for (int i = 0; i < list.size(); i++) {
      JsonNode l = list.get(i);
      if (k3.equals("Sequential") && i == 0 && !l.path("class_name").asText().equals("InputLayer")) {
        ObjectNode input = sequentialInput(config, (ObjectNode) l);
        if (input != null) {
          layers.add(input);
        }
      }
      layers.add(KerasModelConfig.isModelEntry(l) ? nestedModel((ObjectNode) l) : layer((ObjectNode) l));
    }
    config.set("layers", layers);
    config.remove("build_input_shape");
    ObjectNode out = F.objectNode();
    // where Keras 3 finds the class: Sequential is exported as keras.Sequential, Functional is not exported at all
    out.put("module", k3.equals("Functional") ? "keras.src.models.functional" : "keras");
    out.put("class_name", k3);
    out.set("config", config);
    out.put("registered_name", k3.equals("Functional") ? "Functional" : null);
    if (entry.has("build_config") && !k3.equals("Functional")) {
      out.set("build_config", entry.get("build_config"));
    }
    return out;
  }

  /** A model used as a layer: upgraded, keeping its name and calls in the outer model. */
  private static ObjectNode nestedModel(ObjectNode entry) {
    ObjectNode out = model(entry);
    copy(entry, out, "name");
    copy(entry, out, "inbound_nodes");
    return out;
  }

  /**
   * A Sequential model's implicit input as the InputLayer Keras 3 creates for it from the first layer's
   * {@code batch_input_shape} (named as Keras 2 named it, {@code <first layer>_input}); null when the config does
   * not say the input's shape (then the model is built by its first call, as in Keras).
   */
  private static ObjectNode sequentialInput(ObjectNode config, ObjectNode first) {
    JsonNode cfg = first.get("config");
    JsonNode shape = cfg == null ? null : KerasModelConfig.firstNonNull(cfg, "batch_input_shape", "batch_shape");
    boolean embedding = first.path("class_name").asText().equals("Embedding"); // its input_dim is the vocabulary
    if (shape == null && cfg != null && cfg.has("input_dim") && !embedding) {
      shape = F.arrayNode().addNull().add(cfg.get("input_dim").asLong());
    }
    if (shape == null && config.get("build_input_shape") != null && config.get("build_input_shape").isArray()) {
      shape = config.get("build_input_shape");
    }
    if (shape == null) {
      return null;
    }
    ObjectNode in = F.objectNode();
    in.set("batch_shape", shape);
    in.put("dtype", dtypeName(cfg == null ? null : cfg.get("dtype")));
    in.put("sparse", false);
    in.put("name", KerasModelConfig.layerName(first, cfg, "layer") + "_input");
    ObjectNode out = F.objectNode();
    out.put("module", "keras.layers");
    out.put("class_name", "InputLayer");
    out.set("config", in);
    out.putNull("registered_name");
    return out;
  }

  private static ObjectNode layer(ObjectNode entry) {
    String cls = entry.path("class_name").asText();
    ObjectNode cfg = entry.get("config") instanceof ObjectNode o ? o.deepCopy() : F.objectNode();
    boolean legacy = !entry.has("module");
    JsonNode batchInputShape = cfg.remove("batch_input_shape");
    if (cls.equals("InputLayer")) {
      if (batchInputShape != null && !cfg.has("batch_shape")) {
        cfg.set("batch_shape", batchInputShape);
      }
      if (!cfg.path("ragged").asBoolean(false)) {
        cfg.remove("ragged"); // Keras 3's InputLayer has no such argument
      }
      if (cfg.has("dtype")) {
        cfg.put("dtype", dtypeName(cfg.get("dtype")));
      }
    } else if (legacy && cfg.has("dtype")) {
      cfg.set("dtype", dtypePolicy(cfg.get("dtype")));
    }
    JsonNode axis = cfg.get("axis");
    if (axis != null && axis.isArray() && axis.size() == 1 && axis.get(0).isNumber()) {
      cfg.put("axis", axis.get(0).asInt());
    }
    if (cls.endsWith("Transpose") && cfg.path("groups").asInt(1) == 1) {
      cfg.remove("groups"); // tf.keras writes it; Keras 3's transposed convolutions have none
    }
    for (String wrapped : new String[] {"layer", "backward_layer"}) {
      if (cfg.get(wrapped) instanceof ObjectNode inner && inner.has("class_name")) {
        cfg.set(wrapped, KerasModelConfig.isModelEntry(inner) ? model(inner) : layer(inner));
      }
    }
    ObjectNode out = F.objectNode();
    String module = entry.path("module").asText("keras.layers");
    out.put("module", module.startsWith("keras.src.") || module.startsWith("tf_keras") ? "keras.layers" : module);
    out.put("class_name", cls);
    out.set("config", cfg);
    out.set("registered_name", entry.has("registered_name") ? entry.get("registered_name") : F.nullNode());
    copy(entry, out, "build_config");
    copy(entry, out, "name");
    copy(entry, out, "inbound_nodes");
    return out;
  }

  private static String dtypeName(JsonNode dtype) {
    if (dtype == null || dtype.isNull()) {
      return "float32";
    }
    if (dtype.isTextual()) {
      return dtype.asText();
    }
    return dtype.path("config").path("name").asText("float32");
  }

  /** A layer's dtype as Keras 3 writes it: a {@code DTypePolicy} (tf.keras's mixed precision {@code Policy} too). */
  private static JsonNode dtypePolicy(JsonNode dtype) {
    if (dtype.isObject() && dtype.has("module")) {
      return dtype;
    }
    ObjectNode policy = F.objectNode();
    policy.put("module", "keras");
    policy.put("class_name", "DTypePolicy");
    policy.set("config", F.objectNode().put("name", dtypeName(dtype)));
    policy.putNull("registered_name");
    return policy;
  }

  /** Keras's {@code json_utils.decode}: {@code {"class_name": "__tuple__"|"TensorShape", "items": [...]}} as lists. */
  private static JsonNode decodeTuples(JsonNode n, int depth) {
    if (depth > 256) {
      return n;
    }
    if (n.isObject()) {
      String cls = n.path("class_name").asText("");
      if ((cls.equals("__tuple__") || cls.equals("TensorShape")) && n.has("items") && n.size() == 2) {
        return decodeTuples(n.get("items"), depth + 1);
      }
      ObjectNode o = (ObjectNode) n;
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        e.setValue(decodeTuples(e.getValue(), depth + 1));
      }
      return o;
    }
    if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        a.set(i, decodeTuples(a.get(i), depth + 1));
      }
    }
    return n;
  }

  private static void copy(JsonNode from, ObjectNode to, String key) {
    if (from.has(key)) {
      to.set(key, from.get(key));
    }
  }
}
