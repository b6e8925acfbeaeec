package io.tfgw.bench;

import io.tfgw.runtime.Session;
import io.tfgw.runtime.Tensor;
import io.tfgw.proto.GraphDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * Forward passes of an MLP and a small conv net, built once with TF Java and run from the same GraphDef in TensorFlow
 * (oneDNN off, its own intra-op threads) and in tfgw's runtime, on the same input. Both are warmed up for
 * {@value #WARMUP_SECONDS} s first (C2 for us, TF's kernel caches), as a serving process would be, then the median of
 * many runs is taken; the outputs must agree or the bench stops.
 */
final class RuntimeBench {
  static final int WARMUP_SECONDS = 5;

  private RuntimeBench() {}

  private static void warmUp(Runnable forward) {
    long end = System.nanoTime() + WARMUP_SECONDS * 1_000_000_000L;
    while (System.nanoTime() < end) {
      forward.run();
    }
  }

  record Net(String name, byte[] graphDef, long[] inputDims, String output) {}

  /** MNIST-sized MLP: 784-512-256-10, ReLU, softmax; batch 64. */
  static Net mlp() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Random rnd = new Random(1);
      Operand<TFloat32> x = tf.withName("input").placeholder(TFloat32.class);
      int[] widths = {784, 512, 256, 10};
      Operand<TFloat32> h = x;
      for (int i = 0; i + 1 < widths.length; i++) {
        Operand<TFloat32> w = constant(tf, rnd, widths[i], widths[i + 1]);
        Operand<TFloat32> b = constant(tf, rnd, widths[i + 1]);
        h = tf.nn.biasAdd(tf.linalg.matMul(h, w), b);
        if (i + 2 < widths.length) {
          h = tf.nn.relu(h);
        }
      }
      tf.withName("output").nn.softmax(h);
      return new Net("MLP 784-512-256-10, batch 64", g.toGraphDef().toByteArray(), new long[] {64, 784}, "output");
    }
  }

  /** CIFAR-sized conv net: conv3x3x32, pool, conv3x3x64, pool, dense 128, dense 10; batch 16. */
  static Net convNet() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Random rnd = new Random(2);
      Operand<TFloat32> x = tf.withName("input").placeholder(TFloat32.class);
      Operand<TFloat32> h = x;
      int channels = 3;
      for (int filters : new int[] {32, 64}) {
        Operand<TFloat32> k = constant(tf, rnd, 3, 3, channels, filters);
        h = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(h, k, List.of(1L, 1L, 1L, 1L), "SAME"), constant(tf, rnd, filters)));
        Operation pool = g.opBuilder("MaxPool", "pool_" + filters, g.baseScope()).addInput(h.asOutput())
            .setAttr("ksize", new long[] {1, 2, 2, 1}).setAttr("strides", new long[] {1, 2, 2, 1})
            .setAttr("padding", "VALID").setAttr("T", DataType.DT_FLOAT).build();
        h = pool.output(0);
        channels = filters;
      }
      h = tf.reshape(h, tf.constant(new int[] {-1, 8 * 8 * 64}));
      h = tf.nn.relu(tf.nn.biasAdd(tf.linalg.matMul(h, constant(tf, rnd, 8 * 8 * 64, 128)), constant(tf, rnd, 128)));
      h = tf.nn.biasAdd(tf.linalg.matMul(h, constant(tf, rnd, 128, 10)), constant(tf, rnd, 10));
      tf.withName("output").nn.softmax(h);
      return new Net("conv net 32x32x3 → conv32, conv64, dense 128, 10; batch 16", g.toGraphDef().toByteArray(),
          new long[] {16, 32, 32, 3}, "output");
    }
  }

  private static Operand<TFloat32> constant(Ops tf, Random rnd, long... dims) {
    float[] v = new float[(int) Arrays.stream(dims).reduce(1, (a, b) -> a * b)];
    double scale = 1 / Math.sqrt(dims.length > 1 ? dims[dims.length - 2] * (dims.length == 4 ? dims[0] * dims[1] : 1) : 1);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return tf.constant(Shape.of(dims), DataBuffers.of(v, true, false));
  }

  /** Median milliseconds per forward pass: {tfgw, TF}; fails if the two disagree by more than float noise. */
  static double[] measure(Net net, int runs) throws Exception {
    float[] input = new float[(int) Arrays.stream(net.inputDims()).reduce(1, (a, b) -> a * b)];
    Random rnd = new Random(3);
    for (int i = 0; i < input.length; i++) {
      input[i] = rnd.nextFloat();
    }
    Session ours = new Session(GraphDef.parseFrom(net.graphDef()));
    Tensor feed = Tensor.ofFloats(net.inputDims(), input);
    List<Double> oursMs = new ArrayList<>();
    float[] oursOut = null;
    warmUp(() -> ours.run(Map.of("input:0", feed), List.of(net.output() + ":0")));
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      Tensor out = ours.run(Map.of("input:0", feed), List.of(net.output() + ":0")).values().iterator().next();
      oursMs.add((System.nanoTime() - t0) / 1e6);
      oursOut = out.floats();
    }
    List<Double> tfMs = new ArrayList<>();
    float[] tfOut = new float[oursOut.length];
    try (Graph g = new Graph(); org.tensorflow.Session s = new org.tensorflow.Session(g);
        TFloat32 tfIn = TFloat32.tensorOf(Shape.of(net.inputDims()), DataBuffers.of(input, true, false))) {
      g.importGraphDef(org.tensorflow.proto.GraphDef.parseFrom(net.graphDef()));
      warmUp(() -> s.runner().feed("input", tfIn).fetch(net.output()).run().close());
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        try (var r = s.runner().feed("input", tfIn).fetch(net.output()).run()) {
          tfMs.add((System.nanoTime() - t0) / 1e6);
          r.get(0).asRawTensor().data().asFloats().read(tfOut);
        }
      }
    }
    for (int i = 0; i < tfOut.length; i++) {
      if (Math.abs(tfOut[i] - oursOut[i]) > 1e-4f) {
        throw new IllegalStateException(net.name() + ": tfgw and TF disagree at output " + i + ": " + oursOut[i]
            + " vs " + tfOut[i]);
      }
    }
    return new double[] {median(oursMs), median(tfMs)};
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
