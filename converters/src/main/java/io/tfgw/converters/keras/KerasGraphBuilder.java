package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.graph.SaverBuilder;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.InMemoryCheckpoint;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SaverDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import io.tfgw.proto.VersionDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds a TF1 inference graph from a Keras model config and its HDF5 weights: a Placeholder per Keras input (named
 * after the input layer), a VariableV2 per weight named {@code <layer>/<role>} ({@code dense/kernel},
 * {@code batch_normalization/moving_mean}, ...) restored by a V2 saver, each layer's ops under its name, and a
 * {@code serving_default} signature keyed by input and output layer names. Only ops a small runtime can implement
 * are used (MatMul, BiasAdd, Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool, Mean, Max, Reshape, Transpose, Pad,
 * ConcatV2, GatherV2, elementwise math and activations).
 *
 * <p>Weights are converted the way Keras's loader does: Keras 1 names and orders, Theano-backend kernels flipped.
 */
public final class KerasGraphBuilder {
  /** The graph, its saver, signature and the (converted) variable values keyed by checkpoint name. */
  public record Built(GraphDef graph, SaverDef saver, SignatureDef signature, CheckpointReader variables,
      List<String> inputs, List<String> outputs) {}

  static final Set<String> SUPPORTED = Set.of("InputLayer", "Dense", "Conv1D", "Conv2D", "Convolution1D",
      "Convolution2D", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D", "Conv2DTranspose",
      "Convolution2DTranspose", "MaxPooling1D", "MaxPooling2D",
      "MaxPool1D", "MaxPool2D", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
      "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPooling1D",
      "GlobalMaxPooling2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "Flatten", "Reshape", "Dropout", "SpatialDropout1D",
      "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
      "ActivityRegularization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization",
      "ZeroPadding1D", "ZeroPadding2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
      "Embedding", "RepeatVector", "Permute", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Attention", "UpSampling1D",
      "UpSampling2D", "Cropping1D", "Cropping2D", "TimeDistributed");

  /** Layers refused with a reason of their own rather than "not supported yet". */
  private static final Map<String, String> REFUSED = Map.of(
      "Lambda", "holds Python code (a marshalled function), which tfgw never runs",
      "TextVectorization", "works on strings with a vocabulary (in assets/); tfgw builds numeric graphs only",
      "StringLookup", "works on strings with a vocabulary; tfgw builds numeric graphs only",
      "IntegerLookup", "maps values through a vocabulary table; tfgw builds numeric graphs only");

  private final KerasModelConfig config;
  private final KerasWeights source;
  private final boolean keras1;
  private final boolean keras3;
  private final boolean theano;
  private final GraphOps g = new GraphOps();
  private final Map<String, TensorData> variables = new TreeMap<>();
  private final Map<String, String> variableReads = new HashMap<>();

  /** A Keras tensor in the graph: its TF tensor name and static shape (-1 = unknown, dim 0 is the batch). */
  record KTensor(String name, long[] shape) {
    int rank() {
      return shape.length;
    }
  }

  private KerasGraphBuilder(KerasModelConfig config, KerasWeights source) {
    this.config = config;
    this.source = source;
    String version = source.kerasVersion();
    boolean legacy = !source.namesAreVariablePaths();
    this.keras1 = legacy && (version == null || version.startsWith("1"));
    this.keras3 = version != null ? version.startsWith("3") : !legacy;
    this.theano = "theano".equals(source.backend());
  }

  /**
   * Layers of the model (nested models' and wrapped layers included) tfgw cannot build, as {@code name (Class)}:
   * classes it does not know, custom and subclassed layers, and the ones it refuses (Lambda's code, string lookups).
   */
  public static List<String> unsupportedLayers(KerasModelConfig config) {
    List<String> out = new ArrayList<>();
    for (KerasModelConfig.Layer l : config.allLayers()) {
      if (l.isModel()) {
        continue;
      }
      KerasModelConfig.Layer inner = l.wrapped();
      boolean wrapper = l.className().equals("TimeDistributed") || l.className().equals("Bidirectional");
      if (!SUPPORTED.contains(l.className()) || l.isCustom()) {
        out.add(l.name() + " (" + l.className() + (l.isCustom() && l.registeredName() != null
            ? ", " + l.registeredName() : "") + ")");
      } else if (wrapper && (inner == null || inner.isModel() || !SUPPORTED.contains(inner.className())
          || inner.isCustom() || inner.className().equals("TimeDistributed")
          || inner.className().equals("Bidirectional"))) {
        out.add(l.name() + " (" + l.className() + " of " + (inner == null ? "?" : inner.className()) + ")");
      }
    }
    return out;
  }

  /** Why each refused layer class is refused, for the error message. */
  private static List<String> refusalReasons(KerasModelConfig config) {
    List<String> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.TreeSet<>();
    for (KerasModelConfig.Layer l : config.allLayers()) {
      if (REFUSED.containsKey(l.className()) && seen.add(l.className())) {
        out.add(l.className() + " " + REFUSED.get(l.className()));
      }
      if (l.isCustom() && seen.add("custom")) {
        out.add("custom and subclassed layers (" + l.className() + ") are defined by Python code that is not in the "
            + "file");
      }
    }
    return out;
  }

  /** Builds the graph, or fails listing every layer it cannot build (before anything is written). */
  public static Built build(KerasModelConfig config, KerasWeights weights) {
    failOnUnsupported(config, weights.location());
    try {
      return new KerasGraphBuilder(config, weights).build();
    } catch (io.tfgw.core.TfgwException e) {
      throw e;
    } catch (RuntimeException e) {
      // inputs, outputs and connections that no Keras model has (layer calls get their own message in apply)
      throw new io.tfgw.core.CorruptInputException(weights.location() + ": the model config cannot be built into a "
          + "graph (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "); it is damaged "
          + "or was not written by Keras", e);
    }
  }

  /** A legacy Keras HDF5 and the model config it goes with. */
  public static Built build(KerasModelConfig config, Hdf5Reader reader) {
    failOnUnsupported(config, reader.location());
    return build(config, new LegacyKerasWeights(reader, config));
  }

  private static void failOnUnsupported(KerasModelConfig config, io.tfgw.core.storage.Location where) {
    List<String> unsupported = unsupportedLayers(config);
    if (!unsupported.isEmpty()) {
      List<String> reasons = refusalReasons(config);
      throw new UnsupportedInputException(where + ": " + unsupported.size() + " of the model's "
          + config.allLayers().stream().filter(l -> !l.isModel()).count() + " layers cannot be converted to a "
          + "TensorFlow graph yet: " + String.join(", ", unsupported) + "."
          + (reasons.isEmpty() ? "" : " " + String.join("; ", reasons) + ".")
          + " Its weights still convert on their own (tfgw convert " + where
          + " DIR/model.ckpt --to v2, or --to safetensors). Supported layers: "
          + String.join(", ", new java.util.TreeSet<>(SUPPORTED)));
    }
  }

  private Built build() {
    List<KTensor> inputs = new ArrayList<>();
    List<String> inputKeys = new ArrayList<>();
    Map<String, KerasModelConfig.Layer> byName = new LinkedHashMap<>();
    config.layers().forEach(l -> byName.putIfAbsent(l.name(), l));
    for (KerasModelConfig.Ref in : config.inputs()) {
      KerasModelConfig.Layer l = byName.get(in.layer());
      if (l == null || !l.className().equals("InputLayer")) {
        throw new WrongInputException(source.location() + ": the model input '" + in.layer() + "' is not an "
            + "InputLayer");
      }
      inputs.add(inputLayer(l));
      inputKeys.add(in.layer());
    }
    List<KTensor> outs = evaluate(config, List.of(), inputs);
    SignatureDef.Builder sig = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
    for (int i = 0; i < inputs.size(); i++) {
      KTensor t = inputs.get(i);
      sig.putInputs(inputKeys.get(i), tensorInfo(t.name() + ":0", inputDtype(byName.get(inputKeys.get(i))),
          t.shape()));
    }
    List<String> outputs = new ArrayList<>();
    for (int i = 0; i < outs.size(); i++) {
      KTensor t = outs.get(i);
      String key = config.outputs().get(i).layer();
      if (sig.containsOutputs(key)) {
        key = key + "_" + sig.getOutputsCount();
      }
      String tensor = t.name().contains(":") ? t.name() : t.name() + ":0";
      sig.putOutputs(key, tensorInfo(tensor, DataType.DT_FLOAT, t.shape()));
      outputs.add(tensor);
    }
    GraphDef graph = g.build().toBuilder().setVersions(VersionDef.newBuilder().setProducer(134)).build();
    List<SaverBuilder.Variable> vars = new ArrayList<>();
    variables.forEach((name, data) -> vars.add(new SaverBuilder.Variable(name, name, DType.FLOAT, false)));
    SaverDef.Builder saver = SaverDef.newBuilder();
    String scope = g.has("save") || byName.containsKey("save") ? "tfgw_save" : "save";
    GraphDef withSaver = vars.isEmpty() ? graph : SaverBuilder.addRestore(graph, vars, scope, saver);
    CheckpointReader values = new InMemoryCheckpoint(source.location(), "keras", variables);
    List<String> ins = inputs.stream().map(t -> t.name() + ":0").toList();
    return new Built(withSaver, vars.isEmpty() ? null : saver.build(), sig.build(), values, ins, outputs);
  }

  /**
   * Evaluates one model's layer calls in dependency order (shared layers may be called before later layers are
   * listed): the outermost model on its placeholders, a nested model on the tensors it is called with. Returns the
   * model's outputs.
   */
  private List<KTensor> evaluate(KerasModelConfig model, List<String> path, List<KTensor> inputs) {
    Map<String, List<KTensor>> outputsByNode = new HashMap<>();
    if (inputs.size() != model.inputs().size()) {
      throw new WrongInputException(source.location() + ": model '" + model.name() + "' takes "
          + model.inputs().size() + " inputs but is called on " + inputs.size());
    }
    for (int i = 0; i < inputs.size(); i++) {
      outputsByNode.put(key(model.inputs().get(i).layer(), 0), List.of(inputs.get(i)));
    }
    boolean progress = true;
    int pending = Integer.MAX_VALUE;
    while (progress) {
      progress = false;
      int left = 0;
      for (KerasModelConfig.Layer l : model.layers()) {
        for (int node = 0; node < l.inboundNodes().size(); node++) {
          if (outputsByNode.containsKey(key(l.name(), node))) {
            continue;
          }
          List<KTensor> in = new ArrayList<>();
          boolean ready = true;
          for (KerasModelConfig.Ref r : l.inboundNodes().get(node)) {
            List<KTensor> src = outputsByNode.get(key(r.layer(), r.node()));
            if (src == null) {
              ready = false;
              break;
            }
            if (r.tensor() >= src.size()) {
              throw new WrongInputException(source.location() + ": layer '" + l.name() + "' takes output "
                  + r.tensor() + " of '" + r.layer() + "', which has " + src.size());
            }
            in.add(src.get(r.tensor()));
          }
          if (!ready) {
            left++;
            continue;
          }
          List<String> layerPath = new ArrayList<>(path);
          layerPath.add(l.name());
          outputsByNode.put(key(l.name(), node), l.isModel() ? evaluate(l.nested(), layerPath, in)
              : List.of(apply(l, node, in, layerPath)));
          progress = true;
        }
      }
      if (left == 0 || left >= pending && !progress) {
        if (left > 0) {
          throw new WrongInputException(source.location() + ": the model_config's layer connections cannot be "
              + "resolved (a layer's inputs are never produced)");
        }
        break;
      }
      pending = left;
    }
    List<KTensor> outs = new ArrayList<>();
    for (KerasModelConfig.Ref out : model.outputs()) {
      List<KTensor> ts = outputsByNode.get(key(out.layer(), out.node()));
      if (ts == null || out.tensor() >= ts.size()) {
        throw new WrongInputException(source.location() + ": the model output '" + out.layer() + "' is never "
            + "computed");
      }
      outs.add(ts.get(out.tensor()));
    }
    return outs;
  }

  private static TensorInfo tensorInfo(String name, DataType dtype, long[] shape) {
    return TensorInfo.newBuilder().setName(name).setDtype(dtype).setTensorShape(GraphOps.shapeProto(shape)).build();
  }

  private static String key(String layer, int node) {
    return layer + "\u0000" + node;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Layers

  private KTensor inputLayer(KerasModelConfig.Layer l) {
    JsonNode c = l.config();
    if (c.path("sparse").asBoolean(false) || c.path("ragged").asBoolean(false)) {
      throw new UnsupportedInputException(source.location() + ": input '" + l.name() + "' is sparse or ragged; only "
          + "dense inputs are supported");
    }
    JsonNode shape = KerasModelConfig.firstNonNull(c, "batch_input_shape", "batch_shape");
    if (shape == null) {
      throw new UnsupportedInputException(source.location() + ": input '" + l.name() + "' has no shape "
          + "(batch_input_shape), so the model's input shape is unknown (a Sequential model that was never built)");
    }
    if (!shape.isArray() || shape.isEmpty()) {
      throw new CorruptInputException(source.location() + ": input '" + l.name() + "' has the shape " + shape
          + "; an input's batch shape is a list starting with the batch size");
    }
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shape.get(i);
      if (!d.isNull() && !(d.isIntegralNumber() && d.asLong() >= 0)) {
        throw new CorruptInputException(source.location() + ": input '" + l.name() + "' has the shape " + shape
            + "; dimensions are sizes or null");
      }
      dims[i] = d.isNull() ? -1 : d.asLong();
    }
    dims[0] = -1;
    String name = g.placeholder(nodeName(l.name()), inputDtype(l), dims);
    return new KTensor(name, dims);
  }

  private DataType inputDtype(KerasModelConfig.Layer l) {
    String dt = l.config().path("dtype").asText("float32");
    return switch (dt) {
      case "int32" -> DataType.DT_INT32;
      case "int64" -> DataType.DT_INT64;
      case "float32", "", "null" -> DataType.DT_FLOAT;
      default -> throw new UnsupportedInputException(source.location() + ": input '" + l.name() + "' is " + dt
          + "; float32, int32 and int64 inputs are supported");
    };
  }

  /** TF node names allow [A-Za-z0-9_.\-/]; Keras names nearly always fit. */
  static String nodeName(String s) {
    String n = s.replaceAll("[^A-Za-z0-9_.\\-/]", "_");
    return n.isEmpty() || !Character.isLetterOrDigit(n.charAt(0)) && n.charAt(0) != '.' ? "l" + n : n;
  }

  private KTensor apply(KerasModelConfig.Layer l, int node, List<KTensor> in, List<String> path) {
    String scope = nodeName(l.name()) + (node == 0 ? "" : "/call_" + node);
    try {
      return dispatch(new Layer(l, scope, in, path));
    } catch (io.tfgw.core.TfgwException e) {
      throw e;
    } catch (RuntimeException e) {
      // a config value no Keras layer could have (an axis beyond the input's rank, a negative size, a string where
      // a number belongs): the file is damaged or was not written by Keras; say which layer, not where we tripped
      throw new io.tfgw.core.CorruptInputException(source.location() + ": layer '" + l.name() + "' ("
          + l.className() + ") has a config that does not fit its input " + in.stream().map(t -> show(t.shape()))
          .toList() + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "); the model "
          + "config is damaged or was not written by Keras", e);
    }
  }

  private KTensor dispatch(Layer layer) {
    KerasModelConfig.Layer l = layer.spec;
    String scope = layer.scope;
    return switch (l.className()) {
      case "Dense" -> dense(layer);
      case "Conv1D", "Convolution1D" -> conv1d(layer);
      case "Conv2DTranspose", "Convolution2DTranspose" -> conv2dTranspose(layer);
      case "TimeDistributed" -> timeDistributed(layer);
      case "Conv2D", "Convolution2D" -> conv2d(layer, false, false);
      case "DepthwiseConv2D" -> conv2d(layer, true, false);
      case "SeparableConv2D", "SeparableConvolution2D" -> conv2d(layer, false, true);
      case "MaxPooling1D", "MaxPool1D" -> pool1d(layer, "MaxPool");
      case "AveragePooling1D", "AvgPool1D" -> pool1d(layer, "AvgPool");
      case "MaxPooling2D", "MaxPool2D" -> pool2d(layer, "MaxPool");
      case "AveragePooling2D", "AvgPool2D" -> pool2d(layer, "AvgPool");
      case "GlobalAveragePooling1D", "GlobalAvgPool1D", "GlobalAveragePooling2D", "GlobalAvgPool2D" ->
          globalPool(layer, "Mean");
      case "GlobalMaxPooling1D", "GlobalMaxPool1D", "GlobalMaxPooling2D", "GlobalMaxPool2D" -> globalPool(layer, "Max");
      case "Flatten" -> flatten(layer);
      case "Reshape" -> reshapeLayer(layer);
      case "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
          "AlphaDropout", "ActivityRegularization" -> layer.input();
      case "Activation" -> new KTensor(activation(layer, layer.input().name(), layer.str("activation", "linear")),
          layer.input().shape());
      case "ReLU" -> relu(layer);
      case "LeakyReLU" -> new KTensor(g.add(g.node(scope + "/LeakyRelu", "LeakyRelu", layer.input().name())
          .putAttr("T", GraphOps.FLOAT).putAttr("alpha", GraphOps.f((float) layer.num(0.3, "alpha", "negative_slope")))),
          layer.input().shape());
      case "PReLU" -> prelu(layer);
      case "ELU" -> elu(layer);
      case "Softmax" -> softmax(layer);
      case "BatchNormalization" -> batchNorm(layer);
      case "ZeroPadding1D" -> zeroPadding(layer, 1);
      case "ZeroPadding2D" -> zeroPadding(layer, 2);
      case "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum" -> merge(layer);
      case "Concatenate" -> concatenate(layer);
      case "Embedding" -> embedding(layer);
      case "RepeatVector" -> repeatVector(layer);
      case "Permute" -> permute(layer);
      case "SimpleRNN", "LSTM", "GRU", "Bidirectional" -> new Recurrent(this, layer).build();
      case "Attention" -> attention(layer);
      case "UpSampling1D", "UpSampling2D" -> upSampling(layer);
      case "Cropping1D", "Cropping2D" -> cropping(layer);
      default -> throw new UnsupportedInputException("layer " + l.className());
    };
  }

  /**
   * One call of a layer: its config, op scope, inputs, and the path of names its weights are found by (the layer's,
   * after its models'; a wrapped layer uses its wrapper's).
   */
  final class Layer {
    final KerasModelConfig.Layer spec;
    final String scope;
    final List<KTensor> inputs;
    final List<String> path;

    Layer(KerasModelConfig.Layer spec, String scope, List<KTensor> inputs, List<String> path) {
      this.spec = spec;
      this.scope = scope;
      this.inputs = inputs;
      this.path = path;
    }

    String name() {
      return spec.name();
    }

    /** The name weights are looked up and (in legacy files) variables named by: the outermost wrapper's. */
    String owner() {
      return path.get(path.size() - 1);
    }

    KTensor input() {
      if (inputs.size() != 1) {
        throw fail("takes one input, but is called on " + inputs.size());
      }
      return inputs.get(0);
    }

    JsonNode get(String... keys) {
      return KerasModelConfig.firstNonNull(spec.config(), keys);
    }

    String str(String key, String dflt) {
      JsonNode v = get(key);
      if (v == null) {
        return dflt;
      }
      if (v.isObject()) { // Keras 3: {"module": ..., "class_name": "function", "config": "relu"}
        JsonNode c = v.get("config");
        return c != null && c.isTextual() ? c.asText() : v.path("class_name").asText(dflt);
      }
      return v.asText();
    }

    double num(double dflt, String... keys) {
      JsonNode v = get(keys);
      return v == null ? dflt : v.asDouble();
    }

    boolean bool(boolean dflt, String... keys) {
      JsonNode v = get(keys);
      return v == null ? dflt : v.asBoolean();
    }

    /** An int or a list of ints (tuple) of length n. */
    int[] ints(int n, int[] dflt, String... keys) {
      JsonNode v = get(keys);
      if (v == null) {
        return dflt;
      }
      int[] out = new int[n];
      if (v.isArray()) {
        if (v.size() != n) {
          throw fail("has " + keys[0] + " " + v + ", expected " + n + " values");
        }
        for (int i = 0; i < n; i++) {
          out[i] = v.get(i).asInt();
        }
      } else {
        Arrays.fill(out, v.asInt());
      }
      return out;
    }

    boolean channelsFirst() {
      String df = str("data_format", null);
      if (df != null) {
        return df.equals("channels_first");
      }
      String dimOrdering = str("dim_ordering", "tf");
      return dimOrdering.equals("th");
    }

    String op(String op, String... inputs) {
      return g.op(scope + "/" + op, op, inputs);
    }

    UnsupportedInputException fail(String what) {
      return new UnsupportedInputException(source.location() + ": layer '" + name() + "' (" + spec.className() + ") "
          + what);
    }

    /**
     * This layer's weights as variables, in Keras's order, checked against the shapes its config implies; named by
     * their Keras 3 variable paths ({@code dense/kernel}) when the file gives them, else {@code <layer>/<role>}.
     */
    List<String> weights(List<String> roles, List<long[]> shapes) {
      List<KerasWeights.Weight> ws = source.of(path);
      if (ws.size() != roles.size()) {
        throw new WrongInputException(source.location() + ": layer '" + owner() + "' (" + spec.className() + ") needs "
            + roles.size() + " weights " + roles + ", but the file holds " + ws.size()
            + (ws.isEmpty() ? "" : " " + ws.stream().map(KerasWeights.Weight::kerasName).toList()));
      }
      List<String> reads = new ArrayList<>();
      for (int i = 0; i < roles.size(); i++) {
        KerasWeights.Weight w = ws.get(i);
        String var = source.namesAreVariablePaths() ? nodeName(w.tensor()) : nodeName(owner()) + "/" + roles.get(i);
        String read = variableReads.get(var);
        if (read == null) {
          if (w.dtype() != DType.FLOAT) {
            throw fail("has " + w.dtype() + " weights (" + w.kerasName() + "); only float32 models are supported");
          }
          TensorData data = convert(roles.get(i), source.read(w), shapes.get(i));
          long[] expected = shapes.get(i);
          if (!matches(data.shape().dims(), expected)) {
            throw new WrongInputException(source.location() + ": weight '" + w.kerasName() + "' of layer '" + owner()
                + "' has shape " + data.shape() + ", but the layer's config needs " + show(expected));
          }
          variables.put(var, data);
          read = g.variable(var, data.shape().dims());
          variableReads.put(var, read);
        }
        reads.add(read);
      }
      return reads;
    }

    /** Keras's loader conversions for old files, applied to conv kernels. */
    private TensorData convert(String role, TensorData data, long[] expected) {
      boolean isConv = Set.of("Conv1D", "Convolution1D", "Conv2D", "Convolution2D").contains(spec.className())
          && role.equals("kernel");
      if (!isConv) {
        return data;
      }
      if (keras1 && data.shape().rank() == 4 && spec.className().endsWith("2D") && channelsFirst()) {
        data = Kernels.transpose(data, 2, 3, 1, 0); // (filters, stack, rows, cols) -> (rows, cols, stack, filters)
      }
      if (keras1 && spec.className().equals("Convolution1D") && data.shape().rank() == 4) {
        long[] s = data.shape().dims(); // (rows, 1, in, out) or legacy (filters, in, length, 1)
        if (s[1] != 1 && s[3] == 1) {
          data = Kernels.transpose(data, 2, 3, 1, 0);
          s = data.shape().dims();
        }
        data = Kernels.reshape(data, Shape.of(s[0], s[2], s[3]));
      }
      if (theano) {
        data = Kernels.flipSpatial(data);
      }
      if (data.shape().rank() == 4 && !matches(data.shape().dims(), expected)) {
        data = Kernels.transpose(data, 3, 2, 0, 1);
      }
      return data;
    }
  }

  private static boolean matches(long[] actual, long[] expected) {
    if (actual.length != expected.length) {
      return false;
    }
    for (int i = 0; i < actual.length; i++) {
      if (expected[i] >= 0 && actual[i] != expected[i]) {
        return false;
      }
    }
    return true;
  }

  static String show(long[] shape) {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      b.append(i > 0 ? ", " : "").append(shape[i] < 0 ? "?" : String.valueOf(shape[i]));
    }
    return b.append(shape.length == 1 ? ",)" : ")").toString();
  }

  private static long[] withLast(long[] shape, long last) {
    long[] out = shape.clone();
    out[out.length - 1] = last;
    return out;
  }

  private static long known(Layer l, long dim, String what) {
    if (dim < 0) {
      throw l.fail("needs a known " + what + ", but the input shape leaves it open");
    }
    return dim;
  }

  // ---- core layers ----

  String activation(Layer l, String x, String name) {
    String s = l.scope;
    switch (name.toLowerCase(Locale.ROOT)) {
      case "linear":
      case "none":
        return x;
      case "relu":
        return l.op("Relu", x);
      case "relu6":
        return l.op("Relu6", x);
      case "sigmoid":
        return l.op("Sigmoid", x);
      case "tanh":
        return l.op("Tanh", x);
      case "softmax":
        return l.op("Softmax", x);
      case "log_softmax":
        return l.op("LogSoftmax", x);
      case "elu":
        return l.op("Elu", x);
      case "selu":
        return l.op("Selu", x);
      case "softplus":
        return l.op("Softplus", x);
      case "softsign":
        return l.op("Softsign", x);
      case "exponential":
        return l.op("Exp", x);
      case "leaky_relu":
        return g.add(g.node(s + "/LeakyRelu", "LeakyRelu", x).putAttr("T", GraphOps.FLOAT)
            .putAttr("alpha", GraphOps.f(0.2f)));
      case "swish":
      case "silu":
        return l.op("Mul", x, l.op("Sigmoid", x));
      case "mish":
        return l.op("Mul", x, l.op("Tanh", l.op("Softplus", x)));
      case "gelu": {
        String scaled = l.op("Mul", x, g.constFloat(s + "/one_over_sqrt2", (float) (1 / Math.sqrt(2))));
        String erf = l.op("Add", g.constFloat(s + "/one", 1f), l.op("Erf", scaled));
        return l.op("Mul", l.op("Mul", x, g.constFloat(s + "/half", 0.5f)), erf);
      }
      case "hard_sigmoid": {
        if (keras3) { // relu6(x + 3) / 6
          return l.op("RealDiv", l.op("Relu6", l.op("Add", x, g.constFloat(s + "/three", 3f))),
              g.constFloat(s + "/six", 6f));
        }
        String lin = l.op("Add", l.op("Mul", x, g.constFloat(s + "/slope", 0.2f)), g.constFloat(s + "/offset", 0.5f));
        return l.op("Minimum", l.op("Maximum", lin, g.constFloat(s + "/zero", 0f)), g.constFloat(s + "/one", 1f));
      }
      default:
        throw l.fail("uses the activation '" + name + "', which tfgw cannot convert");
    }
  }

  private KTensor dense(Layer l) {
    KTensor x = l.input();
    long in = known(l, x.shape()[x.rank() - 1], "last input dimension");
    long units = (long) l.num(-1, "units", "output_dim");
    boolean bias = l.bool(true, "use_bias", "bias");
    List<String> w = l.weights(bias ? List.of("kernel", "bias") : List.of("kernel"),
        bias ? List.of(new long[] {in, units}, new long[] {units}) : List.<long[]>of(new long[] {in, units}));
    String flat = x.name();
    if (x.rank() > 2) {
      flat = g.add(g.node(l.scope + "/Reshape", "Reshape", x.name(), g.constInts(l.scope + "/flat_shape", -1, (int) in))
          .putAttr("T", GraphOps.FLOAT).putAttr("Tshape", GraphOps.INT32));
    }
    String y = g.add(g.node(l.scope + "/MatMul", "MatMul", flat, w.get(0)).putAttr("T", GraphOps.FLOAT)
        .putAttr("transpose_a", GraphOps.b(false)).putAttr("transpose_b", GraphOps.b(false)));
    if (bias) {
      y = biasAdd(l, y, w.get(1));
    }
    long[] outShape = withLast(x.shape(), units);
    if (x.rank() > 2) {
      y = reshape(l, y, outShape);
    }
    return new KTensor(activation(l, y, l.str("activation", "linear")), outShape);
  }

  private String biasAdd(Layer l, String x, String bias) {
    return g.add(g.node(l.scope + "/BiasAdd", "BiasAdd", x, bias).putAttr("T", GraphOps.FLOAT)
        .putAttr("data_format", GraphOps.str("NHWC")));
  }

  /** Reshape to a static shape whose batch dimension is -1. */
  String reshape(Layer l, String x, long[] shape) {
    int[] target = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      target[i] = i == 0 ? -1 : (int) known(l, shape[i], "shape");
    }
    return g.add(g.node(l.scope + "/Reshape", "Reshape", x, g.constInts(l.scope + "/shape", target))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tshape", GraphOps.INT32));
  }

  private String transpose(Layer l, String x, int... perm) {
    return g.add(g.node(l.scope + "/transpose", "Transpose", x, g.constInts(l.scope + "/perm", perm))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tperm", GraphOps.INT32));
  }

  private static long[] permute(long[] shape, int... perm) {
    long[] out = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = shape[perm[i]];
    }
    return out;
  }

  private static long convOut(long in, int k, int stride, int dilation, String padding) {
    if (in < 0) {
      return -1;
    }
    if (padding.equals("same")) {
      return (in + stride - 1) / stride;
    }
    long eff = (long) (k - 1) * dilation + 1;
    return Math.max(0, (in - eff) / stride + 1);
  }

  private String padding(Layer l) {
    String p = l.str("padding", l.str("border_mode", "valid")).toLowerCase(Locale.ROOT);
    if (!p.equals("valid") && !p.equals("same") && !p.equals("causal")) {
      throw l.fail("uses padding '" + p + "'; valid, same and causal are supported");
    }
    return p;
  }

  private KTensor conv1d(Layer l) {
    KTensor x = l.input();
    if (x.rank() != 3) {
      throw l.fail("needs a 3-D input (batch, steps, channels), got " + show(x.shape()));
    }
    if (l.channelsFirst()) {
      throw l.fail("uses data_format channels_first, which is not supported for 1-D convolutions");
    }
    if ((int) l.num(1, "groups") != 1) {
      throw l.fail("uses groups > 1, which is not supported");
    }
    int k = l.ints(1, null, "kernel_size", "filter_length")[0];
    int stride = l.ints(1, new int[] {1}, "strides", "subsample_length")[0];
    int dilation = l.ints(1, new int[] {1}, "dilation_rate")[0];
    long filters = (long) l.num(-1, "filters", "nb_filter");
    long in = known(l, x.shape()[2], "number of input channels");
    String padding = padding(l);
    boolean bias = l.bool(true, "use_bias", "bias");
    List<long[]> shapes = new ArrayList<>(List.of(new long[] {k, in, filters}));
    if (bias) {
      shapes.add(new long[] {filters});
    }
    List<String> w = l.weights(bias ? List.of("kernel", "bias") : List.of("kernel"), shapes);
    String input = x.name();
    long steps = x.shape()[1];
    if (padding.equals("causal")) {
      int left = dilation * (k - 1);
      input = g.add(g.node(l.scope + "/Pad", "Pad", input, g.constPaddings(l.scope + "/paddings",
          new int[][] {{0, 0}, {left, 0}, {0, 0}})).putAttr("T", GraphOps.FLOAT).putAttr("Tpaddings", GraphOps.INT32));
      steps = steps < 0 ? -1 : steps + left;
    }
    String x4 = expandDims(l, input, 1);
    String k4 = expandDims(l, w.get(0), 0);
    String y = g.add(g.node(l.scope + "/Conv2D", "Conv2D", x4, k4).putAttr("T", GraphOps.FLOAT)
        .putAttr("strides", GraphOps.ints(1, 1, stride, 1)).putAttr("dilations", GraphOps.ints(1, 1, dilation, 1))
        .putAttr("padding", GraphOps.str(padding.equals("same") ? "SAME" : "VALID"))
        .putAttr("data_format", GraphOps.str("NHWC")).putAttr("use_cudnn_on_gpu", GraphOps.b(true)));
    y = squeeze(l, y, 1);
    if (bias) {
      y = biasAdd(l, y, w.get(1));
    }
    long outSteps = convOut(steps, k, stride, dilation, padding.equals("same") ? "same" : "valid");
    return new KTensor(activation(l, y, l.str("activation", "linear")), new long[] {-1, outSteps, filters});
  }

  String expandDims(Layer l, String x, int axis) {
    return g.add(g.node(l.scope + "/ExpandDims", "ExpandDims", x, g.constInt(l.scope + "/dim", axis))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tdim", GraphOps.INT32));
  }

  private String squeeze(Layer l, String x, int axis) {
    return g.add(g.node(l.scope + "/Squeeze", "Squeeze", x).putAttr("T", GraphOps.FLOAT)
        .putAttr("squeeze_dims", GraphOps.ints(axis)));
  }

  private KTensor conv2d(Layer l, boolean depthwise, boolean separable) {
    KTensor x = l.input();
    if (x.rank() != 4) {
      throw l.fail("needs a 4-D input, got " + show(x.shape()));
    }
    if ((int) l.num(1, "groups") != 1) {
      throw l.fail("uses groups > 1, which is not supported");
    }
    boolean cf = l.channelsFirst();
    long[] nhwc = cf ? permute(x.shape(), 0, 2, 3, 1) : x.shape();
    int[] k = l.get("kernel_size") != null ? l.ints(2, null, "kernel_size")
        : new int[] {(int) l.num(1, "nb_row"), (int) l.num(1, "nb_col")};
    int[] strides = l.ints(2, new int[] {1, 1}, "strides", "subsample");
    int[] dilation = l.ints(2, new int[] {1, 1}, "dilation_rate", "atrous_rate");
    String padding = padding(l);
    if (padding.equals("causal")) {
      throw l.fail("uses causal padding, which only 1-D convolutions have");
    }
    long in = known(l, nhwc[3], "number of input channels");
    int multiplier = (int) l.num(1, "depth_multiplier");
    long filters = depthwise ? in * multiplier : (long) l.num(-1, "filters", "nb_filter");
    boolean bias = l.bool(true, "use_bias", "bias");
    List<String> roles = new ArrayList<>();
    List<long[]> shapes = new ArrayList<>();
    if (depthwise || separable) {
      roles.add("depthwise_kernel");
      shapes.add(new long[] {k[0], k[1], in, multiplier});
    }
    if (separable) {
      roles.add("pointwise_kernel");
      shapes.add(new long[] {1, 1, in * multiplier, filters});
    }
    if (!depthwise && !separable) {
      roles.add("kernel");
      shapes.add(new long[] {k[0], k[1], in, filters});
    }
    if (bias) {
      roles.add("bias");
      shapes.add(new long[] {filters});
    }
    List<String> w = l.weights(roles, shapes);
    String input = cf ? transpose(l, x.name(), 0, 2, 3, 1) : x.name();
    String pad = padding.equals("same") ? "SAME" : "VALID";
    String y;
    if (depthwise || separable) {
      y = g.add(g.node(l.scope + "/depthwise", "DepthwiseConv2dNative", input, w.get(0)).putAttr("T", GraphOps.FLOAT)
          .putAttr("strides", GraphOps.ints(1, strides[0], strides[1], 1))
          .putAttr("dilations", GraphOps.ints(1, dilation[0], dilation[1], 1))
          .putAttr("padding", GraphOps.str(pad)).putAttr("data_format", GraphOps.str("NHWC")));
      if (separable) {
        y = conv2dOp(l, y, w.get(1), new int[] {1, 1}, new int[] {1, 1}, "VALID");
      }
    } else {
      y = conv2dOp(l, input, w.get(0), strides, dilation, pad);
    }
    if (bias) {
      y = biasAdd(l, y, w.get(w.size() - 1));
    }
    long[] out = {-1, convOut(nhwc[1], k[0], strides[0], dilation[0], padding),
        convOut(nhwc[2], k[1], strides[1], dilation[1], padding), filters};
    if (cf) {
      y = transpose(l, y, 0, 3, 1, 2);
      out = permute(out, 0, 3, 1, 2);
    }
    return new KTensor(activation(l, y, l.str("activation", "linear")), out);
  }

  /**
   * Conv2DTranspose as TF's Keras backend runs it: {@code tf.nn.conv_transpose} (Conv2DBackpropInput) with the
   * output size Keras computes ({@code in * stride} for same padding, {@code (in - 1) * stride + k} for valid, or
   * from {@code output_padding}) and the batch taken from the input at run time.
   */
  private KTensor conv2dTranspose(Layer l) {
    KTensor x = l.input();
    if (x.rank() != 4) {
      throw l.fail("needs a 4-D input, got " + show(x.shape()));
    }
    if (l.channelsFirst()) {
      throw l.fail("uses data_format channels_first, which is not supported for transposed convolutions");
    }
    int[] k = l.ints(2, null, "kernel_size");
    int[] strides = l.ints(2, new int[] {1, 1}, "strides");
    int[] dilation = l.ints(2, new int[] {1, 1}, "dilation_rate");
    if (dilation[0] != 1 || dilation[1] != 1) {
      throw l.fail("uses dilation_rate " + Arrays.toString(dilation) + "; transposed convolutions are supported "
          + "without dilation (TensorFlow's CPU kernel has none either)");
    }
    if ((int) l.num(1, "groups") != 1) {
      throw l.fail("uses groups > 1, which is not supported");
    }
    String padding = padding(l);
    if (padding.equals("causal")) {
      throw l.fail("uses causal padding, which only 1-D convolutions have");
    }
    JsonNode op = l.get("output_padding");
    int[] outputPadding = op == null ? null : l.ints(2, null, "output_padding");
    long in = known(l, x.shape()[3], "number of input channels");
    long filters = (long) l.num(-1, "filters");
    boolean bias = l.bool(true, "use_bias");
    List<String> roles = bias ? List.of("kernel", "bias") : List.of("kernel");
    List<long[]> shapes = bias ? List.of(new long[] {k[0], k[1], filters, in}, new long[] {filters})
        : List.<long[]>of(new long[] {k[0], k[1], filters, in});
    List<String> w = l.weights(roles, shapes);
    long[] out = {-1, 0, 0, filters};
    for (int i = 0; i < 2; i++) {
      long size = known(l, x.shape()[i + 1], "spatial input size");
      Integer pad = outputPadding == null ? null : outputPadding[i];
      if (padding.equals("valid")) {
        long p = pad == null ? Math.max(k[i], strides[i]) - k[i] : pad;
        out[i + 1] = (size - 1) * strides[i] + k[i] + p;
      } else {
        out[i + 1] = pad == null ? size * strides[i] : (size - 1) * strides[i] + k[i] % 2 + pad;
      }
    }
    String shape = g.add(g.node(l.scope + "/Shape", "Shape", x.name()).putAttr("T", GraphOps.FLOAT)
        .putAttr("out_type", GraphOps.INT32));
    String batch = g.add(g.node(l.scope + "/batch", "StridedSlice", shape, g.constInts(l.scope + "/begin", 0),
        g.constInts(l.scope + "/end", 1), g.constInts(l.scope + "/stride", 1)).putAttr("T", GraphOps.INT32)
        .putAttr("Index", GraphOps.INT32).putAttr("begin_mask", GraphOps.i(0)).putAttr("end_mask", GraphOps.i(0))
        .putAttr("ellipsis_mask", GraphOps.i(0)).putAttr("new_axis_mask", GraphOps.i(0))
        .putAttr("shrink_axis_mask", GraphOps.i(1)));
    String sizes = g.add(g.node(l.scope + "/output_shape", "Pack", batch,
        g.constInt(l.scope + "/height", (int) out[1]), g.constInt(l.scope + "/width", (int) out[2]),
        g.constInt(l.scope + "/filters", (int) filters)).putAttr("T", GraphOps.INT32).putAttr("N", GraphOps.i(4))
        .putAttr("axis", GraphOps.i(0)));
    String y = g.add(g.node(l.scope + "/conv2d_transpose", "Conv2DBackpropInput", sizes, w.get(0), x.name())
        .putAttr("T", GraphOps.FLOAT).putAttr("strides", GraphOps.ints(1, strides[0], strides[1], 1))
        .putAttr("dilations", GraphOps.ints(1, 1, 1, 1))
        .putAttr("padding", GraphOps.str(padding.equals("same") ? "SAME" : "VALID"))
        .putAttr("data_format", GraphOps.str("NHWC")).putAttr("use_cudnn_on_gpu", GraphOps.b(true)));
    if (bias) {
      y = biasAdd(l, y, w.get(1));
    }
    return new KTensor(activation(l, y, l.str("activation", "linear")), out);
  }

  /**
   * TimeDistributed: the wrapped layer applied to every time step at once, as Keras does it: the batch and time
   * axes merged ({@code (N, T, ...)} to {@code (N*T, ...)}), the layer, and the two axes split again with T taken
   * from the input at run time.
   */
  private KTensor timeDistributed(Layer l) {
    KTensor x = l.input();
    KerasModelConfig.Layer inner = l.spec.wrapped();
    if (x.rank() < 3) {
      throw l.fail("needs an input with a time axis (batch, time, ...), got " + show(x.shape()));
    }
    long[] merged = new long[x.rank() - 1];
    merged[0] = -1;
    for (int i = 2; i < x.rank(); i++) {
      merged[i - 1] = known(l, x.shape()[i], "input shape");
    }
    String flat = reshape(l, x.name(), merged);
    KTensor y = dispatch(new Layer(inner, l.scope + "/" + nodeName(inner.name()), List.of(new KTensor(flat, merged)),
        l.path));
    // (N*T, d...) back to (N, T, d...): the leading two sizes from the input, the rest static
    String shape = g.add(g.node(l.scope + "/Shape", "Shape", x.name()).putAttr("T", GraphOps.FLOAT)
        .putAttr("out_type", GraphOps.INT32));
    String lead = g.add(g.node(l.scope + "/batch_and_time", "StridedSlice", shape, g.constInts(l.scope + "/begin", 0),
        g.constInts(l.scope + "/end", 2), g.constInts(l.scope + "/stride", 1)).putAttr("T", GraphOps.INT32)
        .putAttr("Index", GraphOps.INT32).putAttr("begin_mask", GraphOps.i(0)).putAttr("end_mask", GraphOps.i(0))
        .putAttr("ellipsis_mask", GraphOps.i(0)).putAttr("new_axis_mask", GraphOps.i(0))
        .putAttr("shrink_axis_mask", GraphOps.i(0)));
    int[] rest = new int[y.rank() - 1];
    for (int i = 1; i < y.rank(); i++) {
      rest[i - 1] = (int) known(l, y.shape()[i], "output shape of the wrapped layer");
    }
    String target = g.add(g.node(l.scope + "/unmerged_shape", "ConcatV2", lead, g.constInts(l.scope + "/rest", rest),
        g.constInt(l.scope + "/axis", 0)).putAttr("N", GraphOps.i(2)).putAttr("T", GraphOps.INT32)
        .putAttr("Tidx", GraphOps.INT32));
    String out = g.add(g.node(l.scope + "/Reshape_out", "Reshape", y.name(), target).putAttr("T", GraphOps.FLOAT)
        .putAttr("Tshape", GraphOps.INT32));
    long[] shapeOut = new long[y.rank() + 1];
    shapeOut[0] = -1;
    shapeOut[1] = x.shape()[1];
    System.arraycopy(y.shape(), 1, shapeOut, 2, y.rank() - 1);
    return new KTensor(out, shapeOut);
  }

  private String conv2dOp(Layer l, String x, String kernel, int[] strides, int[] dilation, String padding) {
    return g.add(g.node(l.scope + "/Conv2D", "Conv2D", x, kernel).putAttr("T", GraphOps.FLOAT)
        .putAttr("strides", GraphOps.ints(1, strides[0], strides[1], 1))
        .putAttr("dilations", GraphOps.ints(1, dilation[0], dilation[1], 1))
        .putAttr("padding", GraphOps.str(padding)).putAttr("data_format", GraphOps.str("NHWC"))
        .putAttr("use_cudnn_on_gpu", GraphOps.b(true)));
  }

  private KTensor pool1d(Layer l, String op) {
    KTensor x = l.input();
    if (x.rank() != 3) {
      throw l.fail("needs a 3-D input, got " + show(x.shape()));
    }
    if (l.channelsFirst()) {
      throw l.fail("uses data_format channels_first, which is not supported for 1-D pooling");
    }
    int p = l.ints(1, new int[] {2}, "pool_size", "pool_length")[0];
    JsonNode s = l.get("strides", "stride");
    int stride = s == null ? p : l.ints(1, null, s == l.get("strides") ? "strides" : "stride")[0];
    String padding = padding(l);
    String y = g.add(g.node(l.scope + "/" + op, op, expandDims(l, x.name(), 1)).putAttr("T", GraphOps.FLOAT)
        .putAttr("ksize", GraphOps.ints(1, 1, p, 1)).putAttr("strides", GraphOps.ints(1, 1, stride, 1))
        .putAttr("padding", GraphOps.str(padding.equals("same") ? "SAME" : "VALID"))
        .putAttr("data_format", GraphOps.str("NHWC")));
    y = squeeze(l, y, 1);
    return new KTensor(y, new long[] {-1, convOut(x.shape()[1], p, stride, 1, padding), x.shape()[2]});
  }

  private KTensor pool2d(Layer l, String op) {
    KTensor x = l.input();
    if (x.rank() != 4) {
      throw l.fail("needs a 4-D input, got " + show(x.shape()));
    }
    boolean cf = l.channelsFirst();
    long[] nhwc = cf ? permute(x.shape(), 0, 2, 3, 1) : x.shape();
    int[] p = l.ints(2, new int[] {2, 2}, "pool_size");
    int[] strides = l.get("strides") == null ? p : l.ints(2, p, "strides");
    String padding = padding(l);
    String input = cf ? transpose(l, x.name(), 0, 2, 3, 1) : x.name();
    String y = g.add(g.node(l.scope + "/" + op, op, input).putAttr("T", GraphOps.FLOAT)
        .putAttr("ksize", GraphOps.ints(1, p[0], p[1], 1)).putAttr("strides", GraphOps.ints(1, strides[0], strides[1], 1))
        .putAttr("padding", GraphOps.str(padding.equals("same") ? "SAME" : "VALID"))
        .putAttr("data_format", GraphOps.str("NHWC")));
    long[] out = {-1, convOut(nhwc[1], p[0], strides[0], 1, padding), convOut(nhwc[2], p[1], strides[1], 1, padding),
        nhwc[3]};
    if (cf) {
      y = transpose(l, y, 0, 3, 1, 2);
      out = permute(out, 0, 3, 1, 2);
    }
    return new KTensor(y, out);
  }

  private KTensor globalPool(Layer l, String op) {
    KTensor x = l.input();
    int rank = x.rank();
    boolean cf = l.channelsFirst();
    int[] axes = new int[rank - 2];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = cf ? i + 2 : i + 1;
    }
    boolean keep = l.bool(false, "keepdims");
    String y = g.add(g.node(l.scope + "/" + op, op, x.name(), g.constInts(l.scope + "/axes", axes))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tidx", GraphOps.INT32).putAttr("keep_dims", GraphOps.b(keep)));
    long[] out;
    if (keep) {
      out = x.shape().clone();
      for (int a : axes) {
        out[a] = 1;
      }
    } else {
      out = new long[] {-1, x.shape()[cf ? 1 : rank - 1]};
    }
    return new KTensor(y, out);
  }

  private KTensor flatten(Layer l) {
    KTensor x = l.input();
    String input = x.name();
    long[] shape = x.shape();
    if (l.channelsFirst() && x.rank() > 2) {
      int[] perm = new int[x.rank()];
      for (int i = 1; i < perm.length - 1; i++) {
        perm[i] = i + 1;
      }
      perm[perm.length - 1] = 1;
      input = transpose(l, input, perm);
      shape = permute(shape, perm);
    }
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= known(l, shape[i], "input shape");
    }
    long[] out = {-1, n};
    return new KTensor(reshape(l, input, out), out);
  }

  private KTensor reshapeLayer(Layer l) {
    KTensor x = l.input();
    JsonNode t = l.get("target_shape", "dims");
    long total = 1;
    for (int i = 1; i < x.rank(); i++) {
      total *= known(l, x.shape()[i], "input shape");
    }
    long[] out = new long[t.size() + 1];
    out[0] = -1;
    int unknown = -1;
    long product = 1;
    for (int i = 0; i < t.size(); i++) {
      out[i + 1] = t.get(i).isNull() ? -1 : t.get(i).asLong();
      if (out[i + 1] < 0) {
        unknown = i + 1;
      } else {
        product *= out[i + 1];
      }
    }
    if (unknown > 0) {
      out[unknown] = total / product;
    }
    return new KTensor(reshape(l, x.name(), out), out);
  }

  private KTensor relu(Layer l) {
    KTensor x = l.input();
    JsonNode max = l.get("max_value");
    double slope = l.num(0, "negative_slope");
    double threshold = l.num(0, "threshold");
    if (threshold != 0) {
      throw l.fail("uses threshold " + threshold + ", which is not supported");
    }
    String y;
    if (slope != 0) {
      y = g.add(g.node(l.scope + "/LeakyRelu", "LeakyRelu", x.name()).putAttr("T", GraphOps.FLOAT)
          .putAttr("alpha", GraphOps.f((float) slope)));
    } else if (max != null && max.asDouble() == 6.0) {
      return new KTensor(l.op("Relu6", x.name()), x.shape());
    } else {
      y = l.op("Relu", x.name());
    }
    if (max != null) {
      y = l.op("Minimum", y, g.constFloat(l.scope + "/max_value", (float) max.asDouble()));
    }
    return new KTensor(y, x.shape());
  }

  private KTensor prelu(Layer l) {
    KTensor x = l.input();
    long[] alphaShape = Arrays.copyOfRange(x.shape(), 1, x.rank());
    JsonNode shared = l.get("shared_axes");
    if (shared != null && shared.isArray()) {
      for (JsonNode a : shared) {
        alphaShape[a.asInt() - 1] = 1;
      }
    }
    String alpha = l.weights(List.of("alpha"), List.of(alphaShape)).get(0);
    String pos = l.op("Relu", x.name());
    String neg = l.op("Relu", l.op("Neg", x.name()));
    return new KTensor(l.op("Sub", pos, l.op("Mul", alpha, neg)), x.shape());
  }

  private KTensor elu(Layer l) {
    KTensor x = l.input();
    double alpha = l.num(1.0, "alpha");
    if (alpha == 1.0) {
      return new KTensor(l.op("Elu", x.name()), x.shape());
    }
    String neg = l.op("Elu", l.op("Minimum", x.name(), g.constFloat(l.scope + "/zero", 0f)));
    String y = l.op("Add", l.op("Relu", x.name()), l.op("Mul", neg, g.constFloat(l.scope + "/alpha", (float) alpha)));
    return new KTensor(y, x.shape());
  }

  private KTensor softmax(Layer l) {
    KTensor x = l.input();
    JsonNode axis = l.get("axis");
    int a = axis == null ? -1 : axis.isArray() ? (axis.size() == 1 ? axis.get(0).asInt() : 0) : axis.asInt();
    if (a != -1 && a != x.rank() - 1) {
      throw l.fail("takes the softmax over axis " + axis + "; only the last axis is supported");
    }
    return new KTensor(l.op("Softmax", x.name()), x.shape());
  }

  private KTensor batchNorm(Layer l) {
    KTensor x = l.input();
    JsonNode axisNode = l.get("axis");
    int axis = -1;
    if (axisNode != null) {
      if (axisNode.isArray()) {
        if (axisNode.size() != 1) {
          throw l.fail("normalises over several axes " + axisNode + ", which is not supported");
        }
        axis = axisNode.get(0).asInt();
      } else {
        axis = axisNode.asInt();
      }
    }
    if (axis < 0) {
      axis += x.rank();
    }
    int mode = (int) l.num(0, "mode");
    if (mode != 0) {
      throw l.fail("uses Keras 1 mode " + mode + " (batch statistics at inference), which is not supported");
    }
    long c = known(l, x.shape()[axis], "normalised dimension");
    boolean scale = l.bool(true, "scale");
    boolean center = l.bool(true, "center");
    List<String> roles = new ArrayList<>();
    if (scale) {
      roles.add("gamma");
    }
    if (center) {
      roles.add("beta");
    }
    roles.add("moving_mean");
    roles.add("moving_variance");
    List<long[]> shapes = roles.stream().map(r -> new long[] {c}).toList();
    List<String> w = l.weights(roles, shapes);
    String gamma = scale ? w.get(0) : null;
    String beta = center ? w.get(scale ? 1 : 0) : null;
    String mean = w.get(roles.size() - 2);
    String var = w.get(roles.size() - 1);
    float eps = (float) l.num(1e-3, "epsilon");
    // tf.nn.batch_normalization: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv)
    String inv = l.op("Rsqrt", l.op("Add", var, g.constFloat(l.scope + "/epsilon", eps)));
    if (gamma != null) {
      inv = l.op("Mul", inv, gamma);
    }
    String shift = l.op("Mul", mean, inv);
    shift = beta != null ? l.op("Sub", beta, shift) : l.op("Neg", shift);
    if (axis != x.rank() - 1) {
      long[] bshape = new long[x.rank() - axis];
      Arrays.fill(bshape, 1);
      bshape[0] = c;
      int[] target = Arrays.stream(bshape).mapToInt(v -> (int) v).toArray();
      inv = g.add(g.node(l.scope + "/Reshape", "Reshape", inv, g.constInts(l.scope + "/bshape", target))
          .putAttr("T", GraphOps.FLOAT).putAttr("Tshape", GraphOps.INT32));
      shift = g.add(g.node(l.scope + "/Reshape", "Reshape", shift, g.constInts(l.scope + "/bshape", target))
          .putAttr("T", GraphOps.FLOAT).putAttr("Tshape", GraphOps.INT32));
    }
    String y = l.op("Add", l.op("Mul", x.name(), inv), shift);
    return new KTensor(y, x.shape());
  }

  private KTensor zeroPadding(Layer l, int dims) {
    KTensor x = l.input();
    JsonNode p = l.get("padding");
    int[][] pads = new int[dims][2];
    if (p == null) {
      for (int[] r : pads) {
        Arrays.fill(r, 1);
      }
    } else if (!p.isArray()) {
      for (int[] r : pads) {
        Arrays.fill(r, p.asInt());
      }
    } else if (dims == 1) {
      pads[0] = new int[] {p.get(0).asInt(), p.get(p.size() - 1).asInt()};
    } else {
      for (int i = 0; i < dims; i++) {
        JsonNode d = p.get(i);
        pads[i] = d.isArray() ? new int[] {d.get(0).asInt(), d.get(1).asInt()} : new int[] {d.asInt(), d.asInt()};
      }
    }
    boolean cf = dims == 2 && l.channelsFirst();
    int[][] all = new int[x.rank()][2];
    long[] out = x.shape().clone();
    for (int i = 0; i < dims; i++) {
      int axis = cf ? i + 2 : i + 1;
      all[axis] = pads[i];
      out[axis] = out[axis] < 0 ? -1 : out[axis] + pads[i][0] + pads[i][1];
    }
    String y = g.add(g.node(l.scope + "/Pad", "Pad", x.name(), g.constPaddings(l.scope + "/paddings", all))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tpaddings", GraphOps.INT32));
    return new KTensor(y, out);
  }

  private KTensor merge(Layer l) {
    if (l.inputs.size() < 2) {
      throw l.fail("needs at least two inputs");
    }
    String op = switch (l.spec.className()) {
      case "Add", "Average" -> "Add";
      case "Subtract" -> "Sub";
      case "Multiply" -> "Mul";
      case "Maximum" -> "Maximum";
      default -> "Minimum";
    };
    if (op.equals("Sub") && l.inputs.size() != 2) {
      throw l.fail("needs exactly two inputs");
    }
    String y = l.inputs.get(0).name();
    long[] shape = l.inputs.get(0).shape();
    for (int i = 1; i < l.inputs.size(); i++) {
      y = l.op(op, y, l.inputs.get(i).name());
      shape = broadcast(shape, l.inputs.get(i).shape());
    }
    if (l.spec.className().equals("Average")) {
      y = l.op("RealDiv", y, g.constFloat(l.scope + "/n", l.inputs.size()));
    }
    return new KTensor(y, shape);
  }

  private static long[] broadcast(long[] a, long[] b) {
    if (a.length != b.length) {
      return a.length >= b.length ? a : b;
    }
    long[] out = a.clone();
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == 1 ? b[i] : b[i] == 1 ? a[i] : Math.max(a[i], b[i]);
    }
    return out;
  }

  private KTensor concatenate(Layer l) {
    int rank = l.inputs.get(0).rank();
    int axis = (int) l.num(-1, "axis", "concat_axis");
    if (axis < 0) {
      axis += rank;
    }
    NodeDef.Builder n = g.node(l.scope + "/concat", "ConcatV2");
    long[] out = l.inputs.get(0).shape().clone();
    out[axis] = 0;
    for (KTensor t : l.inputs) {
      n.addInput(t.name());
      out[axis] = out[axis] < 0 || t.shape()[axis] < 0 ? -1 : out[axis] + t.shape()[axis];
    }
    n.addInput(g.constInt(l.scope + "/axis", axis));
    n.putAttr("N", GraphOps.i(l.inputs.size())).putAttr("T", GraphOps.FLOAT).putAttr("Tidx", GraphOps.INT32);
    return new KTensor(g.add(n), out);
  }

  private KTensor embedding(Layer l) {
    KTensor x = l.input();
    long vocab = (long) l.num(-1, "input_dim");
    long dim = (long) l.num(-1, "output_dim");
    String table = l.weights(List.of("embeddings"), List.<long[]>of(new long[] {vocab, dim})).get(0);
    // int32 ids index directly; float ids (Keras's default input dtype) are cast as Keras casts them
    String idx = isIntInput(x) ? x.name() : g.add(g.node(l.scope + "/Cast", "Cast", x.name())
        .putAttr("SrcT", GraphOps.FLOAT).putAttr("DstT", GraphOps.INT32).putAttr("Truncate", GraphOps.b(false)));
    String y = g.add(g.node(l.scope + "/embedding_lookup", "GatherV2", table, idx, g.constInt(l.scope + "/axis", 0))
        .putAttr("Tparams", GraphOps.FLOAT).putAttr("Tindices", GraphOps.INT32).putAttr("Taxis", GraphOps.INT32)
        .putAttr("batch_dims", GraphOps.i(0)));
    long[] out = Arrays.copyOf(x.shape(), x.rank() + 1);
    out[x.rank()] = dim;
    return new KTensor(y, out);
  }

  private final Map<String, Boolean> intInputs = new HashMap<>();

  private boolean isIntInput(KTensor x) {
    for (KerasModelConfig.Layer l : config.layers()) {
      if (l.className().equals("InputLayer") && nodeName(l.name()).equals(x.name())) {
        if (inputDtype(l) == DataType.DT_INT64) {
          throw new UnsupportedInputException(source.location() + ": int64 inputs to an Embedding are not supported; "
              + "use int32 or float32");
        }
        return inputDtype(l) == DataType.DT_INT32;
      }
    }
    return false;
  }

  private KTensor repeatVector(Layer l) {
    KTensor x = l.input();
    int n = (int) l.num(1, "n");
    String e = expandDims(l, x.name(), 1);
    String y = g.add(g.node(l.scope + "/Tile", "Tile", e, g.constInts(l.scope + "/multiples", 1, n, 1))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tmultiples", GraphOps.INT32));
    return new KTensor(y, new long[] {-1, n, x.shape()[1]});
  }

  private KTensor permute(Layer l) {
    KTensor x = l.input();
    JsonNode dims = l.get("dims");
    int[] perm = new int[dims.size() + 1];
    for (int i = 0; i < dims.size(); i++) {
      perm[i + 1] = dims.get(i).asInt();
    }
    return new KTensor(transpose(l, x.name(), perm), permute(x.shape(), perm));
  }

  /**
   * Keras's dot-product {@code Attention}: softmax(query · keyᵀ [· scale]) · value, key = value when not given. Like
   * Keras, rank-2 inputs are plain matrices (the scores then mix the batch), rank-3 inputs batched.
   */
  private KTensor attention(Layer l) {
    if (l.inputs.size() < 2 || l.inputs.size() > 3) {
      throw l.fail("needs [query, value] or [query, value, key] inputs");
    }
    String mode = l.str("score_mode", "dot");
    if (!mode.equals("dot")) {
      throw l.fail("uses score_mode " + mode + "; only dot is supported");
    }
    if (l.bool(false, "causal", "use_causal_mask")) {
      throw l.fail("uses a causal mask, which is not supported");
    }
    KTensor q = l.inputs.get(0);
    KTensor v = l.inputs.get(1);
    KTensor k = l.inputs.size() == 3 ? l.inputs.get(2) : v;
    String op = q.rank() == 2 ? "MatMul" : "BatchMatMulV2";
    String adjA = q.rank() == 2 ? "transpose_a" : "adj_x";
    String adjB = q.rank() == 2 ? "transpose_b" : "adj_y";
    String scores = g.add(g.node(l.scope + "/scores", op, q.name(), k.name()).putAttr("T", GraphOps.FLOAT)
        .putAttr(adjA, GraphOps.b(false)).putAttr(adjB, GraphOps.b(true)));
    if (l.bool(false, "use_scale")) {
      String scale = l.weights(List.of("scale"), List.<long[]>of(new long[0])).get(0);
      scores = l.op("Mul", scores, scale);
    }
    String weightsOut = l.op("Softmax", scores);
    String y = g.add(g.node(l.scope + "/output", op, weightsOut, v.name()).putAttr("T", GraphOps.FLOAT)
        .putAttr(adjA, GraphOps.b(false)).putAttr(adjB, GraphOps.b(false)));
    long[] shape = q.shape().clone();
    shape[shape.length - 1] = v.shape()[v.rank() - 1];
    return new KTensor(y, shape);
  }

  /** Nearest-neighbour upsampling as Reshape + Tile + Reshape (each value repeated along its spatial axes). */
  private KTensor upSampling(Layer l) {
    KTensor x = l.input();
    int spatial = x.rank() - 2;
    if (!l.str("interpolation", "nearest").equals("nearest")) {
      throw l.fail("uses " + l.str("interpolation", "") + " interpolation; only nearest is supported");
    }
    int[] size = l.ints(spatial, new int[] {2, 2}, "size", "length");
    boolean cf = spatial == 2 && l.channelsFirst();
    int first = cf ? 2 : 1;
    long[] shape = x.shape();
    // [N, d1, 1, d2, 1, ..., C] tiled by [1, 1, s1, 1, s2, ..., 1]
    List<Integer> expanded = new ArrayList<>(List.of(-1));
    List<Integer> multiples = new ArrayList<>(List.of(1));
    long[] out = shape.clone();
    for (int a = 1; a < x.rank(); a++) {
      expanded.add((int) known(l, shape[a], "input shape"));
      multiples.add(1);
      int si = a - first;
      if (si >= 0 && si < spatial) {
        expanded.add(1);
        multiples.add(size[si]);
        out[a] = shape[a] * size[si];
      }
    }
    String r = g.add(g.node(l.scope + "/Reshape", "Reshape", x.name(),
        g.constInts(l.scope + "/expanded", expanded.stream().mapToInt(Integer::intValue).toArray()))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tshape", GraphOps.INT32));
    String t = g.add(g.node(l.scope + "/Tile", "Tile", r,
        g.constInts(l.scope + "/multiples", multiples.stream().mapToInt(Integer::intValue).toArray()))
        .putAttr("T", GraphOps.FLOAT).putAttr("Tmultiples", GraphOps.INT32));
    return new KTensor(reshape(l, t, out), out);
  }

  private KTensor cropping(Layer l) {
    KTensor x = l.input();
    int spatial = x.rank() - 2;
    JsonNode c = l.get("cropping");
    int[][] crops = new int[spatial][2];
    for (int i = 0; i < spatial; i++) {
      JsonNode d = c == null ? null : !c.isArray() ? c : spatial == 1 ? c : c.get(i);
      if (d == null) {
        crops[i] = new int[] {1, 1};
      } else if (d.isArray()) {
        crops[i] = new int[] {d.get(0).asInt(), d.get(d.size() - 1).asInt()};
      } else {
        crops[i] = new int[] {d.asInt(), d.asInt()};
      }
    }
    boolean cf = spatial == 2 && l.channelsFirst();
    int[] begin = new int[x.rank()];
    int[] size = new int[x.rank()];
    long[] out = x.shape().clone();
    size[0] = -1;
    for (int a = 1; a < x.rank(); a++) {
      int si = a - (cf ? 2 : 1);
      long dim = known(l, x.shape()[a], "input shape");
      if (si >= 0 && si < spatial) {
        begin[a] = crops[si][0];
        out[a] = dim - crops[si][0] - crops[si][1];
        size[a] = (int) out[a];
      } else {
        size[a] = (int) dim;
      }
    }
    String y = g.add(g.node(l.scope + "/Slice", "Slice", x.name(), g.constInts(l.scope + "/begin", begin),
        g.constInts(l.scope + "/size", size)).putAttr("T", GraphOps.FLOAT).putAttr("Index", GraphOps.INT32));
    return new KTensor(y, out);
  }

  GraphOps ops() {
    return g;
  }
}
