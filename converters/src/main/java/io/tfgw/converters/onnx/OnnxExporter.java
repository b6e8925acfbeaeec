package io.tfgw.converters.onnx;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.FunctionInliner;
import io.tfgw.converters.graph.GraphSource;
import io.tfgw.converters.graph.TensorRef;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.verify.VerifiableModels;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.InMemoryCheckpoint;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code convert SRC out.onnx --to onnx}: any model tfgw loads (frozen GraphDef, {@code .meta} + checkpoint, TF1/TF2
 * SavedModel, Keras) is frozen (variables as constants read lazily, TF2 functions inlined), mapped op by op onto
 * ONNX, its layout transposes cancelled, and written with its weights streamed (external data past 2 GiB).
 * Inputs and outputs keep the source's names: signature keys, or tensor names such as {@code x:0}.
 */
public final class OnnxExporter {
  /** The name given to an input's unknown first dimension with a symbolic batch. */
  public static final String BATCH = "batch";

  /**
   * @param opset ONNX opset to write ({@link OnnxTypes#MIN_OPSET}..{@link OnnxTypes#MAX_OPSET})
   * @param batchSize the size of inputs' unknown first dimension, or null to keep it symbolic ({@value #BATCH})
   * @param externalData keep the weights in a side file even when the model would fit inline
   * @param inputs tensor names to feed instead of the signature's inputs (empty: the signature's, or Placeholders)
   * @param outputs tensor names to export instead of the signature's outputs (empty: the signature's)
   */
  public record Options(int opset, Long batchSize, boolean externalData, List<String> inputs, List<String> outputs,
      String signature, String tag, Location kerasConfig) {
    public static Options defaults() {
      return new Options(OnnxTypes.DEFAULT_OPSET, null, false, List.of(), List.of(), null, null, null);
    }

    public Options withOpset(int o) {
      return new Options(o, batchSize, externalData, inputs, outputs, signature, tag, kerasConfig);
    }

    public Options withBatchSize(Long b) {
      return new Options(opset, b, externalData, inputs, outputs, signature, tag, kerasConfig);
    }

    public Options withExternalData(boolean e) {
      return new Options(opset, batchSize, e, inputs, outputs, signature, tag, kerasConfig);
    }

    public Options withInputs(List<String> i) {
      return new Options(opset, batchSize, externalData, i, outputs, signature, tag, kerasConfig);
    }

    public Options withOutputs(List<String> o) {
      return new Options(opset, batchSize, externalData, inputs, o, signature, tag, kerasConfig);
    }

    public Options withSignature(String s) {
      return new Options(opset, batchSize, externalData, inputs, outputs, s, tag, kerasConfig);
    }

    public Options withTag(String t) {
      return new Options(opset, batchSize, externalData, inputs, outputs, signature, t, kerasConfig);
    }

    public Options withKerasConfig(Location k) {
      return new Options(opset, batchSize, externalData, inputs, outputs, signature, tag, k);
    }
  }

  /** What an export wrote. */
  public record Result(Location source, String sourceFormat, Location destination, int opset, int irVersion,
      List<String> inputs, List<String> outputs, int nodes, int initializers, long bytes, Location dataFile,
      long dataBytes, int transposesRemoved, List<String> notes) {}

  private final Storage storage;

  public OnnxExporter(Storage storage) {
    this.storage = storage;
  }

  /** Refuses an opset outside what tfgw writes, saying why. */
  public static void checkOpset(int opset) {
    if (opset < OnnxTypes.MIN_OPSET || opset > OnnxTypes.MAX_OPSET) {
      throw new WrongInputException("--opset " + opset + " is not supported: tfgw writes opsets "
          + OnnxTypes.MIN_OPSET + " to " + OnnxTypes.MAX_OPSET + " (13 is the first with TF's single-axis Softmax and "
          + "axes as inputs; 22 is the newest ONNX Runtime 1.22 runs)");
    }
  }

  public Result export(Location source, Location destination, Options options) {
    checkOpset(options.opset());
    Resolved resolved = new Resolver(storage).resolve(source);
    boolean keras = resolved.format().equals("hdf5") || resolved.format().equals("keras");
    List<String> notes = new ArrayList<>(resolved.notes());
    try (Model model = options.tag() == null || keras
        ? VerifiableModels.load(storage, source, options.kerasConfig())
        : Models.load(storage, resolved, List.of(options.tag()))) {
      Signature sig = options.outputs().isEmpty() || options.signature() != null
          ? model.signature(options.signature()) : null;
      List<TfToOnnx.Port> outputs = outputPorts(model, sig, options);
      List<String> outTensors = outputs.stream().map(TfToOnnx.Port::tensor).toList();
      boolean tf2 = resolved.format().equals("savedmodel") && GraphSource.load(storage, resolved, options.tag())
          .isTf2();
      Freezer.Lazy frozen;
      if (tf2) {
        GraphDef inlined = FunctionInliner.inline(model.graph(), outTensors);
        Map<String, TensorData> values = ModelConverter.tf2VariableValues(model, inlined, outTensors);
        frozen = new Freezer(inlined, new InMemoryCheckpoint(model.location(), "savedmodel", values)).lazy(outTensors);
        notes.add("inlined the signature's functions (TF2 SavedModel)");
      } else {
        CheckpointReader ckpt = model.checkpoint().orElse(Checkpoints.empty(model.location(), "none"));
        frozen = new Freezer(model.graph(), ckpt).lazy(outTensors);
      }
      List<TfToOnnx.Port> inputs = inputPorts(frozen.graph(), sig, options);
      Set<String> names = new HashSet<>();
      for (TfToOnnx.Port p : inputs) {
        names.add(p.name());
      }
      for (TfToOnnx.Port p : outputs) {
        if (!names.add(p.name())) {
          throw new WrongInputException("The name '" + p.name() + "' is both an input and an output (or two "
              + "outputs); ONNX needs distinct names: choose the outputs with --outputs");
        }
      }
      OnnxGraph g = new TfToOnnx(frozen, options.opset()).convert(inputs, outputs);
      int removed = TransposeOptimizer.optimize(g);
      String version = OnnxExporter.class.getPackage().getImplementationVersion();
      OnnxWriter.Written w = new OnnxWriter(storage).write(g, destination, options.opset(),
          version == null ? "dev" : version, options.externalData());
      if (w.external()) {
        notes.add("weights in " + w.dataFile().fileName() + " (ONNX external data, offsets aligned to 4096)");
      }
      return new Result(model.location() == null ? source : model.location(), model.format(), destination,
          options.opset(), OnnxTypes.irVersion(options.opset()), inputs.stream().map(TfToOnnx.Port::name).toList(),
          outputs.stream().map(TfToOnnx.Port::name).toList(), g.nodes.size(), w.initializers(), w.modelBytes(),
          w.dataFile(), w.dataBytes(), removed, notes);
    }
  }

  private static String tensorName(String name) {
    TensorRef r = TensorRef.parse(name);
    return r.node() + ":" + r.index();
  }

  private List<TfToOnnx.Port> outputPorts(Model model, Signature sig, Options options) {
    List<TfToOnnx.Port> out = new ArrayList<>();
    if (!options.outputs().isEmpty()) {
      for (String o : options.outputs()) {
        String t = tensorName(o);
        out.add(new TfToOnnx.Port(t, t, null, null, null));
      }
      return out;
    }
    if (sig != null) {
      for (Map.Entry<String, TensorSpec> e : sig.outputs().entrySet()) {
        TensorSpec s = e.getValue();
        out.add(new TfToOnnx.Port(e.getKey(), tensorName(s.tensorName()), s.dtype(), null, null));
      }
      return out;
    }
    for (String t : model.defaultOutputs(null)) {
      out.add(new TfToOnnx.Port(t, tensorName(t), null, null, null));
    }
    return out;
  }

  private List<TfToOnnx.Port> inputPorts(GraphDef frozen, Signature sig, Options options) {
    List<TfToOnnx.Port> out = new ArrayList<>();
    Map<String, NodeDef> nodes = new java.util.HashMap<>();
    for (NodeDef n : frozen.getNodeList()) {
      nodes.put(n.getName(), n);
    }
    if (!options.inputs().isEmpty()) {
      for (String i : options.inputs()) {
        String t = tensorName(i);
        NodeDef n = nodes.get(TensorRef.parse(t).node());
        if (n == null) {
          throw new WrongInputException("--inputs names '" + i + "', which the exported outputs do not depend on");
        }
        out.add(port(t, t, declaredType(n), declaredShape(n), options));
      }
      return out;
    }
    if (sig != null && options.outputs().isEmpty()) {
      for (Map.Entry<String, TensorSpec> e : sig.inputs().entrySet()) {
        TensorSpec s = e.getValue();
        String t = tensorName(s.tensorName());
        NodeDef n = nodes.get(TensorRef.parse(t).node());
        DType dtype = s.dtype() != null ? s.dtype() : n == null ? null : declaredType(n);
        long[] shape = s.shape() != null ? s.shape() : n == null ? null : declaredShape(n);
        if (dtype == null) {
          throw new WrongInputException("Signature input '" + e.getKey() + "' declares no dtype");
        }
        out.add(port(e.getKey(), t, dtype, shape, options));
      }
      return out;
    }
    for (NodeDef n : frozen.getNodeList()) {
      if (n.getOp().equals("Placeholder") || n.getOp().equals("PlaceholderV2")) {
        String t = n.getName() + ":0";
        out.add(port(t, t, declaredType(n), declaredShape(n), options));
      }
    }
    return out;
  }

  private static TfToOnnx.Port port(String name, String tensor, DType dtype, long[] shape, Options options) {
    if (dtype == null) {
      throw new WrongInputException("The dtype of input " + tensor + " is not declared in the graph");
    }
    String[] params = null;
    if (shape == null) {
      return new TfToOnnx.Port(name, tensor, dtype, null, null); // refused after the op check, which says more
    }
    if (shape.length > 0 && shape[0] < 0) {
      shape = shape.clone();
      if (options.batchSize() != null) {
        shape[0] = options.batchSize();
      } else {
        params = new String[shape.length];
        params[0] = BATCH;
      }
    } else if (shape.length > 0 && options.batchSize() != null && shape[0] != options.batchSize()) {
      throw new WrongInputException("Input '" + name + "' has a fixed first dimension of " + shape[0]
          + ", not the --batch-dim " + options.batchSize());
    }
    return new TfToOnnx.Port(name, tensor, dtype, shape, params);
  }

  private static DType declaredType(NodeDef n) {
    for (String key : new String[] {"dtype", "T"}) {
      AttrValue a = n.getAttrMap().get(key);
      if (a != null && a.getTypeValue() != 0) {
        return DType.fromNumber(a.getTypeValue());
      }
    }
    return null;
  }

  private static long[] declaredShape(NodeDef n) {
    AttrValue a = n.getAttrMap().get("shape");
    if (a == null && n.getAttrMap().containsKey("_output_shapes")) {
      var shapes = n.getAttrMap().get("_output_shapes").getList().getShapeList();
      if (!shapes.isEmpty()) {
        var s = shapes.get(0);
        return s.getUnknownRank() ? null : s.getDimList().stream().mapToLong(d -> d.getSize()).toArray();
      }
    }
    if (a == null || a.getShape().getUnknownRank()) {
      return null;
    }
    return a.getShape().getDimList().stream().mapToLong(d -> d.getSize()).toArray();
  }
}
