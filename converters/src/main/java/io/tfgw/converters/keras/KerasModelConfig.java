package io.tfgw.converters.keras;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Keras {@code model_config} (or {@code model.to_json()}) as a graph of layers, for every way Keras wrote it:
 * Keras 1 Sequential (a bare list of layers), Keras 2 Sequential ({@code {"name", "layers"}}), functional models
 * ({@code Model} / {@code Functional}, with {@code inbound_nodes} as {@code [[name, node, tensor, kwargs], ...]}),
 * and Keras 3 ({@code inbound_nodes} as {@code {"args": [keras tensors with keras_history]}}). A Sequential model
 * becomes a chain whose input is its InputLayer or, when it has none, an input named {@code <first layer>_input}
 * shaped by the first layer's {@code batch_input_shape}.
 */
public final class KerasModelConfig {
  /** Output {@code tensor} of call {@code node} of layer {@code layer}. */
  public record Ref(String layer, int node, int tensor) {}

  /** One layer: Keras class, name, its config, and per call (node) the tensors it was called on. */
  public record Layer(String className, String name, JsonNode config, List<List<Ref>> inboundNodes) {}

  private final String className;
  private final String name;
  private final List<Layer> layers;
  private final List<Ref> inputs;
  private final List<Ref> outputs;

  private KerasModelConfig(String className, String name, List<Layer> layers, List<Ref> inputs, List<Ref> outputs) {
    this.className = className;
    this.name = name;
    this.layers = List.copyOf(layers);
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
  }

  public String className() {
    return className;
  }

  public String name() {
    return name;
  }

  public List<Layer> layers() {
    return layers;
  }

  public List<Ref> inputs() {
    return inputs;
  }

  public List<Ref> outputs() {
    return outputs;
  }

  public static KerasModelConfig parse(String json, String where) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new CorruptInputException(where + ": model_config is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject() || !root.has("class_name")) {
      throw new CorruptInputException(where + ": model_config has no class_name");
    }
    String cls = root.get("class_name").asText();
    JsonNode config = root.get("config");
    switch (cls) {
      case "Sequential":
        return sequential(config, where);
      case "Model":
      case "Functional":
        return functional(cls, config, where);
      default:
        throw new UnsupportedInputException(where + " holds a " + cls + " model; tfgw builds graphs for Sequential and "
            + "functional (Model/Functional) Keras models");
    }
  }

  private static KerasModelConfig sequential(JsonNode config, String where) {
    JsonNode list = config != null && config.isArray() ? config : config == null ? null : config.get("layers");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new CorruptInputException(where + ": the Sequential model_config lists no layers");
    }
    String modelName = config.isObject() && config.has("name") ? config.get("name").asText() : "sequential";
    List<Layer> layers = new ArrayList<>();
    Ref previous = null;
    for (int i = 0; i < list.size(); i++) {
      JsonNode l = list.get(i);
      String cls = l.get("class_name").asText();
      JsonNode cfg = l.get("config");
      String name = layerName(l, cfg, cls + "_" + i);
      if (i == 0 && !cls.equals("InputLayer")) {
        JsonNode shape = firstNonNull(cfg, "batch_input_shape", "batch_shape");
        if (shape == null && cfg.has("input_dim")) {
          shape = new ObjectMapper().createArrayNode().addNull().add(cfg.get("input_dim").asLong());
        }
        if (shape == null) {
          throw new UnsupportedInputException(where + ": the first layer '" + name + "' of the Sequential model has no "
              + "batch_input_shape, so the model's input shape is unknown (the model was never built)");
        }
        ObjectNode in = new ObjectMapper().createObjectNode();
        in.set("batch_input_shape", shape);
        in.put("dtype", cfg.has("dtype") && cfg.get("dtype").isTextual() ? cfg.get("dtype").asText() : "float32");
        String inputName = name + "_input";
        in.put("name", inputName);
        layers.add(new Layer("InputLayer", inputName, in, List.of()));
        previous = new Ref(inputName, 0, 0);
      }
      List<List<Ref>> inbound = previous == null ? List.of() : List.of(List.of(previous));
      layers.add(new Layer(cls, name, cfg, inbound));
      previous = new Ref(name, 0, 0);
    }
    return new KerasModelConfig("Sequential", modelName, layers, List.of(new Ref(layers.get(0).name(), 0, 0)),
        List.of(previous));
  }

  private static KerasModelConfig functional(String cls, JsonNode config, String where) {
    if (config == null || !config.has("layers")) {
      throw new CorruptInputException(where + ": the " + cls + " model_config lists no layers");
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonNode l : config.get("layers")) {
      String lcls = l.get("class_name").asText();
      JsonNode cfg = l.get("config");
      String name = layerName(l, cfg, lcls);
      List<List<Ref>> inbound = new ArrayList<>();
      JsonNode nodes = l.get("inbound_nodes");
      if (nodes != null) {
        for (JsonNode node : nodes) {
          List<Ref> refs = new ArrayList<>();
          if (node.isArray()) {
            for (JsonNode r : node) {
              refs.add(new Ref(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt()));
            }
          } else {
            collectHistory(node.get("args"), refs);
          }
          inbound.add(refs);
        }
      }
      layers.add(new Layer(lcls, name, cfg, inbound));
    }
    String modelName = config.has("name") ? config.get("name").asText() : "model";
    return new KerasModelConfig(cls, modelName, layers, refs(config.get("input_layers")),
        refs(config.get("output_layers")));
  }

  /** Keras 3: the keras_history [layer, node, tensor] of every keras tensor among a call's arguments. */
  private static void collectHistory(JsonNode n, List<Ref> out) {
    if (n == null) {
      return;
    }
    if (n.isObject()) {
      JsonNode cfg = n.get("config");
      if ("__keras_tensor__".equals(n.path("class_name").asText()) && cfg != null && cfg.has("keras_history")) {
        JsonNode h = cfg.get("keras_history");
        out.add(new Ref(h.get(0).asText(), h.get(1).asInt(), h.get(2).asInt()));
        return;
      }
      n.elements().forEachRemaining(c -> collectHistory(c, out));
    } else if (n.isArray()) {
      n.elements().forEachRemaining(c -> collectHistory(c, out));
    }
  }

  private static List<Ref> refs(JsonNode n) {
    List<Ref> out = new ArrayList<>();
    if (n == null) {
      return out;
    }
    if (n.isArray() && n.size() == 3 && n.get(0).isTextual()) {
      out.add(new Ref(n.get(0).asText(), n.get(1).asInt(), n.get(2).asInt())); // Keras 3: a single [name, 0, 0]
      return out;
    }
    for (JsonNode r : n) {
      out.add(new Ref(r.get(0).asText(), r.get(1).asInt(), r.get(2).asInt()));
    }
    return out;
  }

  private static String layerName(JsonNode layer, JsonNode cfg, String fallback) {
    if (layer.has("name")) {
      return layer.get("name").asText();
    }
    if (cfg != null && cfg.has("name")) {
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
}
