package io.tfgw.converters.keras;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KerasWeightLayoutTest {
  @Test
  void snakeCaseIsKerasToSnakeCase() {
    // expected values printed by keras.src.utils.naming.to_snake_case (Keras 3.15)
    Map<String, String> python = Map.ofEntries(Map.entry("Conv2D", "conv2d"),
        Map.entry("Conv2DTranspose", "conv2d_transpose"), Map.entry("MaxPooling2D", "max_pooling2d"),
        Map.entry("InputLayer", "input_layer"), Map.entry("UpSampling2D", "up_sampling2d"), Map.entry("LSTM", "lstm"),
        Map.entry("SimpleRNN", "simple_rnn"), Map.entry("TimeDistributed", "time_distributed"),
        Map.entry("ReLU", "re_lu"), Map.entry("PReLU", "p_re_lu"), Map.entry("LeakyReLU", "leaky_re_lu"),
        Map.entry("GlobalAveragePooling1D", "global_average_pooling1d"), Map.entry("ELU", "elu"),
        Map.entry("MultiHeadAttention", "multi_head_attention"), Map.entry("HTTPServer2Go", "http_server2_go"),
        Map.entry("ABCDef", "abc_def"), Map.entry("NestedDenseModel", "nested_dense_model"));
    python.forEach((cls, snake) -> assertThat(KerasWeightLayout.snakeCase(cls)).as(cls).isEqualTo(snake));
  }

  private static final String SEQUENTIAL = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
      + "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1], \"name\": \"in\"}},"
      + "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 2, \"kernel_size\": [3, 3]}},"
      + "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"pool\"}},"
      + "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"second\", \"filters\": 2, \"kernel_size\": [3, 3],"
      + " \"use_bias\": false}},"
      + "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}},"
      + "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bi\", \"layer\": {\"class_name\": \"LSTM\","
      + " \"config\": {\"name\": \"forward_lstm\", \"units\": 2}}, \"backward_layer\": {\"class_name\": \"LSTM\","
      + " \"config\": {\"name\": \"backward_lstm\", \"units\": 2}}}},"
      + "{\"class_name\": \"TimeDistributed\", \"config\": {\"name\": \"td\", \"layer\": {\"class_name\": \"Dense\","
      + " \"config\": {\"name\": \"dense\", \"units\": 2}}}}]}}";

  private static Map<String, String> groups(List<KerasWeightLayout.LayerVariables> plan) {
    return plan.stream().collect(Collectors.toMap(l -> String.join("/", l.layerPath()),
        l -> l.groups().stream().map(g -> g.h5Group() + "=" + g.pathPrefix() + g.names()).collect(Collectors.joining(";"))));
  }

  @Test
  void keras3NamesGroupsByClassAndCountsPerList() {
    Map<String, String> g = groups(KerasWeightLayout.plan(KerasModelConfig.parse(SEQUENTIAL, "t"),
        KerasWeightLayout.Dialect.KERAS3));
    assertThat(g).containsEntry("conv2d", "layers/conv2d/vars=conv2d[kernel, bias]")
        .containsEntry("second", "layers/conv2d_1/vars=second[kernel]")
        .containsEntry("pool", "layers/max_pooling2d/vars=pool[]")
        .containsEntry("bi", "layers/bidirectional/forward_layer/cell/vars=forward_lstm/lstm_cell[kernel, "
            + "recurrent_kernel, bias];layers/bidirectional/backward_layer/cell/vars=backward_lstm/lstm_cell[kernel, "
            + "recurrent_kernel, bias]")
        .containsEntry("td", "layers/time_distributed/layer/vars=dense[kernel, bias]")
        .doesNotContainKey("in");
  }

  @Test
  void tfKeras213CountsEveryLayerWithWeightsTwice() {
    Map<String, String> g = groups(KerasWeightLayout.plan(KerasModelConfig.parse(SEQUENTIAL, "t"),
        KerasWeightLayout.Dialect.TF_KERAS_2_13));
    // conv2d takes conv2d and conv2d_1, so the second Conv2D is conv2d_2 (as in the real mnist_gan file)
    assertThat(g).containsEntry("conv2d", "_layer_checkpoint_dependencies/conv2d/vars=conv2d[kernel, bias]")
        .containsEntry("second", "_layer_checkpoint_dependencies/conv2d_2/vars=second[kernel]");
  }

  @Test
  void nestedModelsKeepTheirLayersUnderTheirOwnGroup() {
    String json = "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": ["
        + "{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"x\"},"
        + " \"inbound_nodes\": []},"
        + "{\"class_name\": \"Sequential\", \"name\": \"inner\", \"config\": {\"name\": \"inner\", \"layers\": ["
        + "  {\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4], \"name\": \"in2\"}},"
        + "  {\"class_name\": \"Dense\", \"config\": {\"name\": \"d1\", \"units\": 3}},"
        + "  {\"class_name\": \"Dense\", \"config\": {\"name\": \"d2\", \"units\": 3}}]},"
        + " \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\":"
        + " [\"x\", 0, 0]}}]}]},"
        + "{\"class_name\": \"Dense\", \"name\": \"out\", \"config\": {\"name\": \"out\", \"units\": 2},"
        + " \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\":"
        + " [\"inner\", 0, 0]}}]}]}],"
        + "\"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"out\", 0, 0]]}}";
    Map<String, String> g = groups(KerasWeightLayout.plan(KerasModelConfig.parse(json, "t"),
        KerasWeightLayout.Dialect.KERAS3));
    assertThat(g).containsEntry("x", "layers/input_layer/vars=x[]")
        .containsEntry("inner/d1", "layers/sequential/layers/dense/vars=d1[kernel, bias]")
        .containsEntry("inner/d2", "layers/sequential/layers/dense_1/vars=d2[kernel, bias]")
        .containsEntry("out", "layers/dense/vars=out[kernel, bias]");
  }
}
