package io.tfgw.converters.keras;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * The legacy-to-Keras-3 config upgrade, field by field (that Keras 3 loads the result and predicts as from the
 * {@code .h5} is KerasWriteTest's, with real Keras).
 */
class KerasConfigUpgradeTest {
  private static JsonNode json(String s) {
    return KerasModelConfig.readJson(s, "t", "config");
  }

  @Test
  void keras2SequentialGetsAnExplicitInputLayerAndKeras3Objects() {
    ObjectNode out = KerasConfigUpgrade.upgrade(json("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", "
        + "\"layers\": [{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"batch_input_shape\": [null, 4], "
        + "\"dtype\": \"float32\", \"units\": 3, \"kernel_initializer\": {\"class_name\": \"GlorotUniform\", "
        + "\"config\": {\"seed\": null}}}}, {\"class_name\": \"BatchNormalization\", \"config\": {\"name\": \"bn\", "
        + "\"axis\": [1], \"dtype\": {\"class_name\": \"Policy\", \"config\": {\"name\": \"mixed_float16\"}}}}]}}"));
    assertThat(out.get("module").asText()).isEqualTo("keras");
    assertThat(out.get("class_name").asText()).isEqualTo("Sequential");
    assertThat(out.has("registered_name")).isTrue();
    JsonNode layers = out.get("config").get("layers");
    assertThat(layers).hasSize(3);
    JsonNode input = layers.get(0);
    assertThat(input.get("class_name").asText()).isEqualTo("InputLayer");
    assertThat(input.get("config").get("batch_shape").toString()).isEqualTo("[null,4]");
    assertThat(input.get("config").get("name").asText()).isEqualTo("d_input");
    JsonNode dense = layers.get(1);
    assertThat(dense.get("module").asText()).isEqualTo("keras.layers");
    assertThat(dense.get("config").has("batch_input_shape")).isFalse();
    assertThat(dense.get("config").get("dtype").get("class_name").asText()).isEqualTo("DTypePolicy");
    assertThat(dense.get("config").get("kernel_initializer").get("class_name").asText()).isEqualTo("GlorotUniform");
    JsonNode bn = layers.get(2).get("config");
    assertThat(bn.get("axis").asInt()).isEqualTo(1);
    assertThat(bn.get("dtype").get("config").get("name").asText()).isEqualTo("mixed_float16");
    // what the weight layout sees: the same layers, the InputLayer left out of a Sequential's saved layers
    KerasModelConfig parsed = KerasModelConfig.fromJson(out, "t", 0);
    assertThat(KerasWeightLayout.plan(parsed, KerasWeightLayout.Dialect.KERAS3).stream()
        .map(l -> l.h5Root()).toList()).containsExactly("layers/dense", "layers/batch_normalization");
  }

  @Test
  void functionalModelKeepsItsNodesAndDecodesTuples() {
    ObjectNode out = KerasConfigUpgrade.upgrade(json("{\"class_name\": \"Model\", \"config\": {\"name\": \"m\", "
        + "\"layers\": [{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"name\": \"x\", "
        + "\"batch_input_shape\": {\"class_name\": \"__tuple__\", \"items\": [null, 8]}, \"ragged\": false, "
        + "\"sparse\": false, \"dtype\": \"float32\"}, \"inbound_nodes\": []}, {\"class_name\": \"Conv2DTranspose\", "
        + "\"name\": \"t\", \"config\": {\"name\": \"t\", \"groups\": 1, \"filters\": 2}, \"inbound_nodes\": "
        + "[[[\"x\", 0, 0, {}]]]}], \"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"t\", 0, 0]]}}"));
    assertThat(out.get("class_name").asText()).isEqualTo("Functional");
    assertThat(out.get("module").asText()).isEqualTo("keras.src.models.functional");
    JsonNode input = out.get("config").get("layers").get(0);
    assertThat(input.get("config").get("batch_shape").toString()).isEqualTo("[null,8]");
    assertThat(input.get("config").has("ragged")).isFalse();
    assertThat(input.get("config").get("dtype").asText()).isEqualTo("float32");
    JsonNode t = out.get("config").get("layers").get(1);
    assertThat(t.get("config").has("groups")).isFalse();
    assertThat(t.get("inbound_nodes").toString()).isEqualTo("[[[\"x\",0,0,{}]]]");
    assertThat(out.get("config").get("input_layers").toString()).isEqualTo("[[\"x\",0,0]]");
    assertThat(t.get("name").asText()).isEqualTo("t");
  }
}
