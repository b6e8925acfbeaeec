package io.tfgw.bench;

import io.tfgw.core.tensor.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TString;

/**
 * What TensorFlow itself takes for the same jobs (TF Java 1.0.0 = TF 2.16 with oneDNN off): restore every tensor
 * and save them again in the other format, the way a Python user converts a checkpoint.
 */
final class TfBaseline {
  private TfBaseline() {}

  /** Seconds for one RestoreV2 of every tensor followed by SaveV2 (or the V1 Save op), session warm. */
  static double restoreAndSave(Path from, Path to, List<TensorInfo> tensors, boolean toV1) throws Exception {
    Files.createDirectories(to.getParent());
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      String[] names = tensors.stream().map(TensorInfo::name).toArray(String[]::new);
      String[] specs = new String[names.length];
      java.util.Arrays.fill(specs, "");
      var namesOut = tf.constant(NdArrays.vectorOfObjects(names));
      var specsOut = tf.constant(NdArrays.vectorOfObjects(specs));
      DataType[] types = tensors.stream().map(t -> DataType.forNumber(t.dtype().number())).toArray(DataType[]::new);
      Operation restore = g.opBuilder("RestoreV2", "restore", g.baseScope()).addInput(tf.constant(from.toString()).asOutput())
          .addInput(namesOut.asOutput()).addInput(specsOut.asOutput()).setAttr("dtypes", types).build();
      Output<?>[] values = new Output<?>[names.length];
      for (int i = 0; i < names.length; i++) {
        values[i] = restore.output(i);
      }
      var save = toV1
          ? g.opBuilder("Save", "save", g.baseScope()).addInput(tf.constant(to.toString()).asOutput())
              .addInput(namesOut.asOutput()).addInputList(values).build()
          : g.opBuilder("SaveV2", "save", g.baseScope()).addInput(tf.constant(to.toString()).asOutput())
              .addInput(namesOut.asOutput()).addInput(specsOut.asOutput()).addInputList(values).build();
      long start = System.nanoTime();
      s.runner().addTarget(save).run();
      return (System.nanoTime() - start) / 1e9;
    }
  }

  /** A new JVM that loads TensorFlow and restores every tensor of a small checkpoint: TF Java's "list and read". */
  static Runs.Result listInNewJvm(Path prefix) throws Exception {
    return Runs.command(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), TfBaseline.class.getName(), prefix.toString()),
        java.util.Map.of("TF_CPP_MIN_LOG_LEVEL", "2", "TF_ENABLE_ONEDNN_OPTS", "0"));
  }

  public static void main(String[] args) throws Exception {
    Path prefix = Path.of(args[0]);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      names.add("dense_" + i + "/kernel");
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      String[] specs = new String[names.size()];
      java.util.Arrays.fill(specs, "");
      DataType[] types = new DataType[names.size()];
      java.util.Arrays.fill(types, DataType.DT_FLOAT);
      Operation restore = g.opBuilder("RestoreV2", "restore", g.baseScope()).addInput(tf.constant(prefix.toString()).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(names.toArray(String[]::new))).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(specs)).asOutput()).setAttr("dtypes", types).build();
      var runner = s.runner();
      for (int i = 0; i < names.size(); i++) {
        runner.fetch(restore.output(i));
      }
      try (var r = runner.run()) {
        System.out.println(names.size() + " tensors " + new String(new byte[0], StandardCharsets.UTF_8));
      }
    }
  }
}
