package io.tfgw.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.runtime.kernels.Parallel;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.GraphDef;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The multi-threaded kernels give the same bits as the single-threaded ones, run after run. */
class DeterminismTest {
  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }

  static Tensor random(long seed, long... dims) {
    Random r = new Random(seed);
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.ofFloats(dims, v);
  }

  @Test
  void matMulConvAndReductionsDoNotDependOnThreads() {
    GraphDef g = new GraphBuilder()
        .placeholder("a", DType.FLOAT).placeholder("b", DType.FLOAT)
        .placeholder("img", DType.FLOAT).placeholder("k", DType.FLOAT)
        .op("mm", "MatMul", "a", "b")
        .node("conv", "Conv2D", new String[] {"img", "k"}, "strides", new long[] {1, 1, 1, 1}, "padding", "SAME")
        .node("dw", "DepthwiseConv2dNative", new String[] {"img", "k2"}, "strides", new long[] {1, 2, 2, 1},
            "padding", "SAME")
        .constant("k2", random(5, 3, 3, 16, 2))
        .constant("axis", Tensor.ofInts(new long[] {1}, 1))
        .op("sum", "Sum", "mm", "axis")
        .op("sm", "Softmax", "mm")
        .build();
    Map<String, Tensor> feeds = Map.of("a", random(1, 300, 257), "b", random(2, 257, 190),
        "img", random(3, 4, 32, 32, 16), "k", random(4, 3, 3, 16, 24));
    List<String> fetches = List.of("mm", "conv", "dw", "sum", "sm");
    Parallel.setThreads(1);
    List<Tensor> single = new Session(g).run(feeds, fetches, List.of());
    Parallel.setThreads(Math.max(4, Runtime.getRuntime().availableProcessors()));
    for (int run = 0; run < 3; run++) {
      List<Tensor> multi = new Session(g).run(feeds, fetches, List.of());
      for (int i = 0; i < fetches.size(); i++) {
        assertThat(multi.get(i).bitEquals(single.get(i))).as(fetches.get(i) + " run " + run).isTrue();
      }
    }
  }

  /**
   * Random ops split their output into groups that each take their own part of the Philox stream, so the bits do
   * not depend on how many threads fill them (TF shards the same way; RuntimeRandomOracleTest compares with TF).
   */
  @Test
  void randomOpsDoNotDependOnThreads() {
    Tensor shape = Tensor.ofInts(new long[] {2}, 301, 1003);
    GraphDef g = new GraphBuilder()
        .constant("shape", shape)
        .constant("seed", Tensor.ofLongs(new long[] {2}, 17, -3))
        .node("normal", "RandomStandardNormal", new String[] {"shape"}, "dtype", DType.FLOAT, "seed", 4L, "seed2", 5L)
        .node("truncated", "TruncatedNormal", new String[] {"shape"}, "dtype", DType.DOUBLE, "seed", 4L, "seed2", 6L)
        .node("uniform", "StatelessRandomUniform", new String[] {"shape", "seed"}, "dtype", DType.BFLOAT16)
        .build();
    List<String> fetches = List.of("normal", "truncated", "uniform");
    Parallel.setThreads(1);
    Session singleSession = new Session(g);
    List<List<Tensor>> single = List.of(singleSession.run(Map.of(), fetches, List.of()),
        singleSession.run(Map.of(), fetches, List.of()));
    Parallel.setThreads(Math.max(4, Runtime.getRuntime().availableProcessors()));
    Session multiSession = new Session(g);
    for (int run = 0; run < 2; run++) {
      List<Tensor> multi = multiSession.run(Map.of(), fetches, List.of());
      for (int i = 0; i < fetches.size(); i++) {
        assertThat(multi.get(i).bitEquals(single.get(run).get(i))).as(fetches.get(i) + " run " + run).isTrue();
      }
    }
    assertThat(single.get(0).get(0).bitEquals(single.get(1).get(0))).as("a stateful op advances").isFalse();
  }
}
