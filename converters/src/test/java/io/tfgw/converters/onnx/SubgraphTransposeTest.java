package io.tfgw.converters.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The transpose optimizer and subgraphs: a value a Loop body reads from the outer scope is a use (its Transpose is
 * neither dropped as dead nor pushed past the body), and a cancelled Transpose pair is rewired inside the body too.
 */
class SubgraphTransposeTest {
  private static final long[] NHWC = {1, 4, 4, 3};
  private static final long[] NCHW = {1, 3, 4, 4};

  private static OnnxGraph graphWithInput() {
    OnnxGraph g = new OnnxGraph();
    g.reserve("x");
    g.meta.put("x", new OnnxGraph.Meta(DType.FLOAT, NHWC));
    g.inputs.add(new OnnxGraph.Port("x", DType.FLOAT, NHWC, null));
    return g;
  }

  private static String transpose(OnnxGraph g, String in, long[] perm, long[] shape) {
    String out = g.fresh(in + "/t");
    g.meta.put(out, new OnnxGraph.Meta(DType.FLOAT, shape));
    g.add("Transpose", g.fresh("node:" + out), List.of(in), List.of(out)).attr("perm", perm);
    return out;
  }

  /** A Loop whose body adds {@code captured} (an outer value, read by name) to its carried value. */
  private static OnnxGraph loopReading(OnnxGraph g, String captured) {
    OnnxGraph body = g.subgraph();
    for (String in : List.of("i", "c", "v")) {
      body.reserve(in);
    }
    body.inputs.add(new OnnxGraph.Port("i", DType.INT64, new long[0], null));
    body.inputs.add(new OnnxGraph.Port("c", DType.BOOL, new long[0], null));
    body.inputs.add(new OnnxGraph.Port("v", DType.FLOAT, null, null));
    String sum = body.fresh("sum");
    body.add("Add", "node:sum", List.of("v", captured), List.of(sum));
    body.add("Identity", "node:c_out", List.of("c"), List.of(body.fresh("c_out")));
    body.outputs.add(new OnnxGraph.Port("c_out", DType.BOOL, new long[0], null));
    body.outputs.add(new OnnxGraph.Port(sum, DType.FLOAT, null, null));
    String cond = g.constant("cond", io.tfgw.runtime.Tensor.scalar(true));
    g.add("Loop", "node:loop", List.of("", cond, "x"), List.of(g.fresh("final"))).attr("body", body);
    g.add("Identity", "node:y", List.of("final"), List.of("y"));
    g.outputs.add(new OnnxGraph.Port("y", DType.FLOAT, null, null));
    return body;
  }

  @Test
  void aTransposeOnlyABodyReadsStays() {
    OnnxGraph g = graphWithInput();
    String t = transpose(g, "x", new long[] {0, 3, 1, 2}, NCHW);
    OnnxGraph body = loopReading(g, t);
    TransposeOptimizer.optimize(g);
    assertThat(g.nodes).anyMatch(n -> n.op.equals("Transpose") && n.outputs.contains(t));
    assertThat(body.nodes.get(0).inputs).containsExactly("v", t);
  }

  @Test
  void aCancelledPairIsRewiredInsideTheBody() {
    OnnxGraph g = graphWithInput();
    String t = transpose(g, "x", new long[] {0, 3, 1, 2}, NCHW);
    String back = transpose(g, t, new long[] {0, 2, 3, 1}, NHWC);
    OnnxGraph body = loopReading(g, back);
    TransposeOptimizer.optimize(g);
    assertThat(g.nodes).noneMatch(n -> n.op.equals("Transpose"));
    assertThat(body.nodes.get(0).inputs).containsExactly("v", "x");
  }
}
