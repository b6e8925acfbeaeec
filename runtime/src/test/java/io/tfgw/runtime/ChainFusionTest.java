package io.tfgw.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.tensor.DType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.runtime.kernels.Parallel;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fused MatMul/Conv2D + BiasAdd [+ activation] chains give the unfused graph's bits: the reference is the same graph
 * with the chains' {@code T} attributes removed, which the fusion needs (so it leaves those chains alone) and the
 * kernels do not read. Real TF judges both forms in fixtures (RuntimeModelsOracleTest, Keras3OracleTest,
 * RealWorldRuntimeTest run models made of such chains).
 */
class ChainFusionTest {
  private static final String[] ACTIVATIONS = {"Relu", "Relu6", "Elu", "Tanh", "Sigmoid"};

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  /** Gaussian values with the awkward ones mixed in: denormals, signed zeros, NaN, large magnitudes. */
  private static Tensor values(long seed, long... dims) {
    Random r = new Random(seed);
    int n = 1;
    for (long d : dims) {
      n *= (int) d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(40)) {
        case 0 -> v[i] = Float.MIN_VALUE * 3;
        case 1 -> v[i] = -0f;
        case 2 -> v[i] = 30f;
        case 3 -> v[i] = -30f;
        default -> v[i] = (float) r.nextGaussian();
      }
    }
    if (n > 7) {
      v[7] = Float.NaN;
    }
    return Tensor.ofFloats(dims, v);
  }

  /** One chain per activation (and one without) on MatMul, and Conv2D + BiasAdd + each activation. */
  private static GraphDef chains() {
    GraphBuilder g = new GraphBuilder().placeholder("x", DType.FLOAT).placeholder("img", DType.FLOAT)
        .constant("w", values(2, 37, 40)).constant("b", values(3, 40))
        .constant("k", values(4, 3, 3, 5, 24)).constant("kb", values(5, 24));
    g.node("mm", "MatMul", new String[] {"x", "w"}, "T", DType.FLOAT)
        .node("mm_bias", "BiasAdd", new String[] {"mm", "b"}, "T", DType.FLOAT);
    for (String act : ACTIVATIONS) {
      g.node("mm_" + act, "MatMul", new String[] {"x", "w"}, "T", DType.FLOAT)
          .node("mm_" + act + "_bias", "BiasAdd", new String[] {"mm_" + act, "b"}, "T", DType.FLOAT)
          .node("mm_" + act + "_out", act, new String[] {"mm_" + act + "_bias"}, "T", DType.FLOAT)
          .node("conv_" + act, "Conv2D", new String[] {"img", "k"}, "T", DType.FLOAT, "strides",
              new long[] {1, 1, 1, 1}, "padding", "SAME")
          .node("conv_" + act + "_bias", "BiasAdd", new String[] {"conv_" + act, "kb"}, "T", DType.FLOAT,
              "data_format", "NHWC")
          .node("conv_" + act + "_out", act, new String[] {"conv_" + act + "_bias"}, "T", DType.FLOAT);
    }
    return g.build();
  }

  private static GraphDef withoutT(GraphDef g) {
    GraphDef.Builder b = g.toBuilder();
    for (NodeDef.Builder n : b.getNodeBuilderList()) {
      n.removeAttr("T");
    }
    return b.build();
  }

  private static List<String> outputs() {
    List<String> out = new java.util.ArrayList<>(List.of("mm_bias"));
    for (String act : ACTIVATIONS) {
      out.add("mm_" + act + "_out");
      out.add("conv_" + act + "_out");
    }
    return out;
  }

  private static void assertSameBits(List<Tensor> actual, List<Tensor> expected, List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      assertThat(actual.get(i).bitEquals(expected.get(i))).as(names.get(i)).isTrue();
    }
  }

  @Test
  void everyChainIsFusedAndGivesTheUnfusedBits() {
    GraphDef g = chains();
    Program fused = Program.fromGraph(g, new FunctionLibrary(g.getLibrary()), true);
    assertThat(fused.fusedInterior).contains("mm", "mm_Relu", "mm_Relu_bias", "conv_Elu", "conv_Elu_bias");
    assertThat(Program.fromGraph(withoutT(g), new FunctionLibrary(g.getLibrary()), true).fusedInterior).isEmpty();
    // 64 rows and 16 images: the vector kernels' tiles and several chunks per thread
    Map<String, Tensor> feeds = Map.of("x", values(6, 64, 37), "img", values(7, 16, 9, 11, 5));
    List<String> names = outputs();
    List<Tensor> expected = new Session(withoutT(g)).run(feeds, names, List.of());
    assertSameBits(new Session(g).run(feeds, names, List.of()), expected, names);
    Parallel.setThreads(1);
    assertSameBits(new Session(g).run(feeds, names, List.of()), expected, names);
  }

  @Test
  void innerTensorsCanStillBeFetchedAndFed() {
    GraphDef g = chains();
    Map<String, Tensor> feeds = Map.of("x", values(8, 6, 37), "img", values(9, 2, 4, 4, 5));
    List<String> names = List.of("mm_Relu:0", "mm_Relu_bias:0", "mm_Relu_out:0", "conv_Tanh_out:0", "conv_Tanh:0");
    assertSameBits(new Session(g).run(feeds, names, List.of()),
        new Session(withoutT(g)).run(feeds, names, List.of()), names);
    // feeding the product: the activation applies to the fed value, not to x times w
    Map<String, Tensor> fedInner = Map.of("x", values(8, 6, 37), "img", values(9, 2, 4, 4, 5),
        "mm_Sigmoid:0", values(10, 6, 40), "conv_Relu6_bias:0", values(11, 2, 4, 4, 24));
    List<String> outs = List.of("mm_Sigmoid_out:0", "conv_Relu6_out:0", "mm_Elu_out:0");
    Session session = new Session(g);
    List<Tensor> expected = new Session(withoutT(g)).run(fedInner, outs, List.of());
    assertSameBits(session.run(fedInner, outs, List.of()), expected, outs);
    // and the same session goes back to the fused program for ordinary runs
    assertSameBits(session.run(feeds, List.of("mm_Elu_out:0"), List.of()),
        new Session(withoutT(g)).run(feeds, List.of("mm_Elu_out:0"), List.of()), List.of("mm_Elu_out:0"));
  }

  @Test
  void aBiasOfTheWrongLengthFailsAsTheUnfusedBiasAddDoes() {
    GraphDef g = new GraphBuilder().placeholder("x", DType.FLOAT).constant("w", values(2, 3, 4))
        .constant("b", values(3, 5))
        .node("mm", "MatMul", new String[] {"x", "w"}, "T", DType.FLOAT)
        .node("bias", "BiasAdd", new String[] {"mm", "b"}, "T", DType.FLOAT)
        .node("relu", "Relu", new String[] {"bias"}, "T", DType.FLOAT).build();
    Map<String, Tensor> feeds = Map.of("x", values(4, 2, 3));
    String unfused = null;
    try {
      new Session(withoutT(g)).run(feeds, List.of("relu"), List.of());
    } catch (OpFailedException e) {
      unfused = e.getMessage();
    }
    assertThat(unfused).startsWith("Node 'bias' (BiasAdd)");
    assertThatThrownBy(() -> new Session(g).run(feeds, List.of("relu"), List.of()))
        .isInstanceOf(OpFailedException.class).hasMessage(unfused);
  }
}
