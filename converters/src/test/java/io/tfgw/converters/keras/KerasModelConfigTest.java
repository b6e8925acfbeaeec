package io.tfgw.converters.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class KerasModelConfigTest {
  @Test
  void keras1SequentialGetsAnImplicitInput() {
    KerasModelConfig c = KerasModelConfig.parse("{\"class_name\": \"Sequential\", \"config\": [{\"class_name\": "
        + "\"Dense\", \"config\": {\"name\": \"dense_1\", \"batch_input_shape\": [null, 4], \"output_dim\": 6}}]}", "t");
    assertThat(c.layers()).hasSize(2);
    assertThat(c.layers().get(0).className()).isEqualTo("InputLayer");
    assertThat(c.inputs().get(0).layer()).isEqualTo("dense_1_input");
    assertThat(c.outputs().get(0).layer()).isEqualTo("dense_1");
    assertThat(c.layers().get(1).inboundNodes().get(0).get(0).layer()).isEqualTo("dense_1_input");
  }

  @Test
  void keras3InboundNodesAreReadFromKerasHistory() {
    String json = "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": ["
        + "{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"batch_shape\": [null, 3], \"name\": \"x\"},"
        + " \"inbound_nodes\": []},"
        + "{\"class_name\": \"Add\", \"name\": \"a\", \"config\": {\"name\": \"a\"}, \"inbound_nodes\": [{\"args\": [["
        + "{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"x\", 0, 0]}},"
        + "{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"x\", 0, 0]}}]], \"kwargs\": {}}]}],"
        + "\"input_layers\": [\"x\", 0, 0], \"output_layers\": [\"a\", 0, 0]}}";
    KerasModelConfig c = KerasModelConfig.parse(json, "t");
    assertThat(c.inputs()).hasSize(1);
    assertThat(c.layers().get(1).inboundNodes().get(0)).hasSize(2);
    assertThat(KerasGraphBuilder.unsupportedLayers(c)).isEmpty();
  }

  @Test
  void otherModelClassesAreRefused() {
    assertThatThrownBy(() -> KerasModelConfig.parse("{\"class_name\": \"MyModel\", \"config\": {}}", "x.h5"))
        .isInstanceOf(UnsupportedInputException.class).hasMessageContaining("MyModel");
  }

  @Test
  void theanoKernelsAreFlippedAndTransposedLikeKeras() throws Exception {
    // kernel (2, 2, 1, 1) = [[a, b], [c, d]] -> flipped spatially -> [[d, c], [b, a]]
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(1).putFloat(2).putFloat(3).putFloat(4);
    InMemoryTensorData k = new InMemoryTensorData(DType.FLOAT, Shape.of(2, 2, 1, 1), b.array());
    assertThat(floats(Kernels.flipSpatial(k).open())).containsExactly(4, 3, 2, 1);
    // np.transpose(arange(6).reshape(1, 2, 3, 1), (2, 3, 1, 0)) -> shape (3, 1, 2, 1): [0, 3, 1, 4, 2, 5]
    ByteBuffer c = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      c.putFloat(i);
    }
    var t = Kernels.transpose(new InMemoryTensorData(DType.FLOAT, Shape.of(1, 2, 3, 1), c.array()), 2, 3, 1, 0);
    assertThat(t.shape()).isEqualTo(Shape.of(3, 1, 2, 1));
    assertThat(floats(t.open())).containsExactly(0, 3, 1, 4, 2, 5);
  }

  private static float[] floats(InputStream in) throws Exception {
    byte[] bytes = in.readAllBytes();
    float[] f = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }
}
