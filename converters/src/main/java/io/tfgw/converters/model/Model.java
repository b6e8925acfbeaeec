package io.tfgw.converters.model;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.runtime.GraphFiles;
import io.tfgw.runtime.Session;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorShapeProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A model: a graph (GraphDef with its function library), its signatures, and where its variables' values come from
 * (a checkpoint restored by the graph's own restore op, or Consts in a frozen graph). {@link Models#load} reads one
 * from a SavedModel directory, a frozen GraphDef or a {@code .meta} with its checkpoint; {@link #run} executes it in
 * the runtime.
 */
public final class Model implements AutoCloseable {
  /** Signature used when none is named, as TF Serving does. */
  public static final String DEFAULT_SIGNATURE = "serving_default";
  /** TF2's init "signature", not a function users call. */
  static final String INIT_SIGNATURE = "__saved_model_init_op";

  /** How a checkpoint is restored: the saver's restore op, fed the checkpoint prefix. */
  public record Restore(String restoreOp, String filenameTensor, String prefix) {}

  private final String format;
  private final Location location;
  private final GraphDef graph;
  private final Map<String, Signature> signatures;
  private final CheckpointReader checkpoint;
  private final Restore restore;
  private final List<String> initOps;
  private final List<String> tags;
  private final Map<String, Location> assets;
  private final GraphFiles files;
  private Session session;

  /**
   * A model from its parts, as the loaders build it.
   *
   * @param format {@code savedmodel}, {@code frozen} or {@code meta}
   * @param checkpoint the variables' values, or null (frozen graphs)
   * @param restore how the graph restores them, or null (then variables read checkpoint tensors of their name)
   * @param initOps nodes to run once after restoring (TF1 main_op/legacy_init_op, TF2 init op)
   */
  public Model(String format, Location location, GraphDef graph, Map<String, Signature> signatures,
      CheckpointReader checkpoint, Restore restore, List<String> initOps) {
    this(format, location, graph, signatures, checkpoint, restore, initOps, List.of());
  }

  /** As above, with the SavedModel tag set the graph was loaded for. */
  public Model(String format, Location location, GraphDef graph, Map<String, Signature> signatures,
      CheckpointReader checkpoint, Restore restore, List<String> initOps, List<String> tags) {
    this(format, location, graph, signatures, checkpoint, restore, initOps, tags, Map.of(), GraphFiles.LOCAL);
  }

  /**
   * As above, with a SavedModel's assets and how the graph reads files.
   *
   * @param assets asset files by the tensor the loader feeds each one's path to (TF's loader feeds
   *     {@code export_dir/assets/FILENAME} to the tensor of each {@code asset_file_def} in the restore and init runs)
   * @param files how file-reading ops (ReadFile, tables from text files) read the paths they are given
   */
  public Model(String format, Location location, GraphDef graph, Map<String, Signature> signatures,
      CheckpointReader checkpoint, Restore restore, List<String> initOps, List<String> tags,
      Map<String, Location> assets, GraphFiles files) {
    this.assets = java.util.Collections.unmodifiableMap(new TreeMap<>(assets));
    this.files = files;
    this.tags = List.copyOf(tags);
    this.format = format;
    this.location = location;
    this.graph = graph;
    this.signatures = java.util.Collections.unmodifiableMap(new TreeMap<>(signatures));
    this.checkpoint = checkpoint;
    this.restore = restore;
    this.initOps = List.copyOf(initOps);
  }

  /** A frozen graph held in memory. */
  public static Model ofGraph(GraphDef graph) {
    return new Model("frozen", null, graph, Map.of(), null, null, List.of());
  }

  /** The format it was loaded from: {@code savedmodel}, {@code frozen} or {@code meta}. */
  public String format() {
    return format;
  }

  /** Where the model was read from; null for models built in memory. */
  public Location location() {
    return location;
  }

  /** The graph the runtime executes. */
  public GraphDef graph() {
    return graph;
  }

  /** The SavedModel tags of the loaded meta graph (empty for other formats). */
  public List<String> tags() {
    return tags;
  }

  /** A SavedModel's asset files by the tensor that is fed each one's path when the model loads. */
  public Map<String, Location> assets() {
    return assets;
  }

  /** Nodes run once after restoring (TF1 main_op/legacy_init_op, TF2 init op). */
  public List<String> initOps() {
    return initOps;
  }

  /** Signatures by key (empty for frozen graphs and most {@code .meta} files), without TF2's init op. */
  public Map<String, Signature> signatures() {
    Map<String, Signature> out = new TreeMap<>(signatures);
    out.remove(INIT_SIGNATURE);
    return out;
  }

  /** The variables' values, when the model has any outside its graph. */
  public Optional<CheckpointReader> checkpoint() {
    return Optional.ofNullable(checkpoint);
  }

  /** How the graph restores its variables from the checkpoint (its restore op), when it does. */
  public Optional<Restore> restore() {
    return Optional.ofNullable(restore);
  }

  /**
   * The runtime session of this model, created on first use: the checkpoint is restored through the graph's own
   * restore op, then init ops run.
   */
  public synchronized Session session() {
    if (session == null) {
      Session s = new Session(graph, checkpoint);
      s.setFiles(files);
      Map<String, Tensor> assetFeeds = assetFeeds();
      if (restore != null && checkpoint != null) {
        Map<String, Tensor> feeds = new LinkedHashMap<>(assetFeeds);
        feeds.put(restore.filenameTensor(), Tensor.scalarString(restore.prefix().getBytes(
            java.nio.charset.StandardCharsets.UTF_8)));
        s.run(feeds, List.of(), List.of(restore.restoreOp()));
      }
      if (!initOps.isEmpty()) {
        s.run(assetFeeds, List.of(), initOps);
      }
      session = s;
    }
    return session;
  }

  /**
   * The asset paths as TF's loader feeds them: each asset's location (where the model is stored: a local path, an
   * S3 URI, a path inside an archive) to its tensor, for the tensors the graph has.
   */
  private Map<String, Tensor> assetFeeds() {
    Set<String> nodes = new HashSet<>();
    graph.getNodeList().forEach(n -> nodes.add(n.getName()));
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    for (Map.Entry<String, Location> e : assets.entrySet()) {
      String tensor = e.getKey();
      String node = tensor.contains(":") ? tensor.substring(0, tensor.lastIndexOf(':')) : tensor;
      if (nodes.contains(node)) {
        feeds.put(tensor, Tensor.scalarString(e.getValue().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
    }
    return feeds;
  }

  /** The signature a run uses: the named one, else serving_default, else the only one; null if there are none. */
  public Signature signature(String key) {
    Map<String, Signature> sigs = signatures();
    if (key != null) {
      Signature s = sigs.get(key);
      if (s == null) {
        throw new WrongInputException("The model has no signature '" + key + "'; its signatures: "
            + (sigs.isEmpty() ? "none (name inputs and outputs by tensor name)" : String.join(", ", sigs.keySet())));
      }
      return s;
    }
    if (sigs.isEmpty()) {
      return null;
    }
    if (sigs.containsKey(DEFAULT_SIGNATURE)) {
      return sigs.get(DEFAULT_SIGNATURE);
    }
    if (sigs.size() == 1) {
      return sigs.values().iterator().next();
    }
    throw new WrongInputException("The model has several signatures and none is " + DEFAULT_SIGNATURE
        + ": name one with --signature (" + String.join(", ", sigs.keySet()) + ")");
  }

  /** The graph's Placeholders as inputs by tensor name (for models without signatures). */
  public Map<String, TensorSpec> graphInputs() {
    Map<String, TensorSpec> out = new TreeMap<>();
    for (NodeDef n : graph.getNodeList()) {
      if (n.getOp().equals("Placeholder") || n.getOp().equals("PlaceholderV2")) {
        AttrValue dtype = n.getAttrMap().get("dtype");
        AttrValue shape = n.getAttrMap().get("shape");
        out.put(n.getName() + ":0", new TensorSpec(n.getName() + ":0",
            dtype == null ? null : DType.fromNumber(dtype.getTypeValue()),
            shape == null ? null : dims(shape.getShape())));
      }
    }
    return out;
  }

  static long[] dims(TensorShapeProto p) {
    if (p.getUnknownRank()) {
      return null;
    }
    return p.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  /** What an input name (a signature key or a tensor name) means for a run with this signature (null: none). */
  public TensorSpec inputSpec(Signature sig, String name) {
    if (sig != null && sig.inputs().containsKey(name)) {
      return sig.inputs().get(name);
    }
    String tensor = name.contains(":") ? name : name + ":0";
    if (sig != null) {
      for (TensorSpec s : sig.inputs().values()) {
        if (s.tensorName().equals(tensor) || s.tensorName().equals(name)) {
          return s;
        }
      }
    }
    TensorSpec placeholder = graphInputs().get(tensor);
    if (placeholder != null) {
      return placeholder;
    }
    if (sig != null) {
      throw new WrongInputException("The signature '" + sig.key() + "' has no input '" + name + "'; its inputs: "
          + describe(sig.inputs()));
    }
    return new TensorSpec(tensor, null, null);
  }

  /**
   * Outputs a run computes when none are named: the signature's, or for a frozen graph its sink nodes (nodes
   * nothing consumes that compute values).
   */
  public List<String> defaultOutputs(Signature sig) {
    if (sig != null) {
      return new ArrayList<>(sig.outputs().keySet());
    }
    if (!format.equals("frozen")) {
      throw new WrongInputException("The model has no signatures: name the outputs to compute with --outputs "
          + "(tensor names such as 'softmax:0')");
    }
    Set<String> consumed = new HashSet<>();
    for (NodeDef n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        String name = in.startsWith("^") ? in.substring(1) : in;
        int colon = name.lastIndexOf(':');
        consumed.add(colon > 0 ? name.substring(0, colon) : name);
      }
    }
    List<String> out = new ArrayList<>();
    for (NodeDef n : graph.getNodeList()) {
      if (!consumed.contains(n.getName()) && !NOT_OUTPUTS.contains(n.getOp())) {
        out.add(n.getName() + ":0");
      }
    }
    if (out.isEmpty()) {
      throw new WrongInputException("Could not tell the graph's outputs: name them with --outputs");
    }
    return out;
  }

  private static final Set<String> NOT_OUTPUTS = Set.of("NoOp", "Const", "Placeholder", "PlaceholderWithDefault",
      "VariableV2", "Variable", "VarHandleOp", "Assign", "AssignVariableOp", "SaveV2", "Save", "SaveSlices",
      "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints", "Assert", "Print", "PrintV2", "ScalarSummary",
      "MergeSummary", "HistogramSummary", "ImageSummary");

  /**
   * What a run computed: the outputs by the names asked, and the names of those that depend on an unseeded random
   * op (TF seeds such an op afresh in every session, so no two sessions, of TF or of tfgw, agree on them).
   */
  public record Outputs(Map<String, Tensor> values, Set<String> nondeterministic) {}

  /**
   * Runs the model. The model's session keeps its variables (and its random ops' streams) from run to run, as a TF
   * session does: a signature that counts its calls gives 1, then 2.
   *
   * @param signatureKey the signature, or null for the default one (models without signatures take tensor names)
   * @param inputs input values by signature key or tensor name
   * @param outputs outputs to compute, by signature key or tensor name; empty for the defaults
   * @return the outputs by the names asked (signature keys by default)
   */
  public Map<String, Tensor> run(String signatureKey, Map<String, Tensor> inputs, List<String> outputs) {
    return evaluate(signatureKey, inputs, outputs).values();
  }

  /** As {@link #run}, also telling which outputs are nondeterministic. */
  public Outputs evaluate(String signatureKey, Map<String, Tensor> inputs, List<String> outputs) {
    Signature sig = signature(signatureKey);
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
      TensorSpec spec = inputSpec(sig, e.getKey());
      Tensor value = e.getValue();
      if (spec.dtype() != null && value.dtype() != spec.dtype()) {
        throw new WrongInputException("Input '" + e.getKey() + "' is " + value.dtype() + " but the model takes "
            + spec.describe());
      }
      feeds.put(spec.tensorName(), value);
    }
    if (sig != null) {
      List<String> missing = new ArrayList<>();
      for (Map.Entry<String, TensorSpec> e : sig.inputs().entrySet()) {
        if (!feeds.containsKey(e.getValue().tensorName()) && !hasDefault(e.getValue().tensorName())) {
          missing.add(e.getKey() + " (" + e.getValue().describe() + ")");
        }
      }
      if (!missing.isEmpty()) {
        throw new WrongInputException("Missing input" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
            + " of signature '" + sig.key() + "'");
      }
    }
    List<String> names = outputs.isEmpty() ? defaultOutputs(sig) : outputs;
    List<String> fetches = new ArrayList<>();
    for (String name : names) {
      boolean key = sig != null && sig.outputs().containsKey(name);
      fetches.add(key ? sig.outputs().get(name).tensorName() : name);
    }
    Session.Result result = session().runDetailed(feeds, fetches, List.of());
    Map<String, Tensor> out = new LinkedHashMap<>();
    Set<String> nondeterministic = new java.util.LinkedHashSet<>();
    for (int i = 0; i < names.size(); i++) {
      out.put(names.get(i), result.values().get(i));
      if (result.nondeterministic().get(i)) {
        nondeterministic.add(names.get(i));
      }
    }
    return new Outputs(out, java.util.Collections.unmodifiableSet(nondeterministic));
  }

  private boolean hasDefault(String tensorName) {
    String node = tensorName.contains(":") ? tensorName.substring(0, tensorName.lastIndexOf(':')) : tensorName;
    for (NodeDef n : graph.getNodeList()) {
      if (n.getName().equals(node)) {
        return n.getOp().equals("PlaceholderWithDefault");
      }
    }
    return false;
  }

  static String describe(Map<String, TensorSpec> specs) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, TensorSpec> e : specs.entrySet()) {
      parts.add(e.getKey() + " (" + e.getValue().describe() + ")");
    }
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  /** Closes the runtime session and the checkpoint. */
  @Override
  public void close() {
    if (checkpoint != null) {
      checkpoint.close();
    }
  }
}
