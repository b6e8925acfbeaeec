package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The variables a Keras 3 optimizer saves, in {@code optimizer.variables} order, named as Keras 3.15 names them:
 * {@code iteration}, {@code learning_rate} (unless the rate is a schedule), then per slot kind
 * {@code <variable path with / as _>_<slot>}. Slots made by one {@code add_optimizer_variables} call interleave
 * per variable (Adam: momentum, velocity of the first variable, then of the second, ...); separate calls follow
 * each other (RMSprop: all velocities, then all momentums).
 */
final class OptimizerSlots {
  private OptimizerSlots() {}

  /**
   * The names for this optimizer config and these trainable variables, or null for a class tfgw does not know.
   * tf.keras 2.13-2.15 saved no {@code learning_rate} variable ({@code tfKeras213}).
   */
  static List<String> names(JsonNode optimizer, List<String> trainable, boolean tfKeras213) {
    if (optimizer == null || !optimizer.isObject()) {
      return null;
    }
    String cls = optimizer.path("class_name").asText("");
    JsonNode c = optimizer.path("config");
    List<List<String>> calls = new ArrayList<>(); // one entry per add_optimizer_variables call
    switch (cls) {
      case "Adam", "AdamW" -> {
        calls.add(List.of("momentum", "velocity"));
        if (c.path("amsgrad").asBoolean(false)) {
          calls.add(List.of("velocity_hat"));
        }
      }
      case "Nadam", "Lamb" -> calls.add(List.of("momentum", "velocity"));
      case "Adamax" -> calls.add(List.of("momentum", "norm"));
      case "Adadelta" -> calls.add(List.of("accumulated_grad", "accumulated_delta_var"));
      case "Ftrl" -> calls.add(List.of("accumulator", "linear"));
      case "Adagrad" -> calls.add(List.of("accumulator"));
      case "Lion" -> calls.add(List.of("momentum"));
      case "RMSprop" -> {
        calls.add(List.of("velocity"));
        if (c.path("momentum").asDouble(0) > 0) {
          calls.add(List.of("momentum"));
        }
        if (c.path("centered").asBoolean(false)) {
          calls.add(List.of("average_gradient"));
        }
      }
      case "SGD" -> {
        if (c.path("momentum").asDouble(0) != 0) {
          calls.add(List.of("momentum"));
        }
      }
      default -> {
        return null;
      }
    }
    List<String> out = new ArrayList<>(List.of("iteration"));
    if (!tfKeras213 && !c.path("learning_rate").isObject()) {
      out.add("learning_rate");
    }
    for (List<String> call : calls) {
      for (String variable : trainable) {
        String base = variable.replace('/', '_');
        for (String slot : call) {
          out.add(base + "_" + slot);
        }
      }
    }
    return out;
  }
}
