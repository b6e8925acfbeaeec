package io.tfgw.runtime;

import io.tfgw.runtime.kernels.Parallel;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.GraphDef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in timing of the heavy kernels ({@code -Dtfgw.bench=true}), single- and multi-threaded. Prints GFLOP/s; asserts
 * nothing. Not part of the normal test run.
 */
@EnabledIfSystemProperty(named = "tfgw.bench", matches = "true")
class KernelBenchmark {
  private static double seconds(Session s, Map<String, Tensor> feeds, String fetch, int reps) {
    s.run(feeds, List.of(fetch), List.of());
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      s.run(feeds, List.of(fetch), List.of());
    }
    return (System.nanoTime() - t0) / 1e9 / reps;
  }

  @Test
  void matMulAndConv() {
    GraphDef g = new GraphBuilder()
        .placeholder("a", DType.FLOAT).placeholder("b", DType.FLOAT)
        .placeholder("img", DType.FLOAT).placeholder("k", DType.FLOAT)
        .op("mm", "MatMul", "a", "b")
        .node("conv", "Conv2D", new String[] {"img", "k"}, "strides", new long[] {1, 1, 1, 1}, "padding", "SAME")
        .build();
    Session s = new Session(g);
    Map<String, Tensor> feeds = Map.of("a", DeterminismTest.random(1, 1024, 1024),
        "b", DeterminismTest.random(2, 1024, 1024), "img", DeterminismTest.random(3, 8, 56, 56, 64),
        "k", DeterminismTest.random(4, 3, 3, 64, 64));
    for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
      Parallel.setThreads(threads);
      double mm = seconds(s, feeds, "mm", 3);
      double conv = seconds(s, feeds, "conv", 3);
      System.out.printf("threads=%d MatMul 1024^3: %.3f s (%.2f GFLOP/s); Conv2D 8x56x56x64 3x3x64: %.3f s "
          + "(%.2f GFLOP/s)%n", threads, mm, 2.0 * 1024 * 1024 * 1024 / mm / 1e9, conv,
          2.0 * 8 * 56 * 56 * 64 * 9 * 64 / conv / 1e9);
    }
    Parallel.setThreads(Runtime.getRuntime().availableProcessors());
  }
}
