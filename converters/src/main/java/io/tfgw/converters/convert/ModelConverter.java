package io.tfgw.converters.convert;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.FunctionInliner;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.runtime.Session;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.converters.graph.GraphIndex;
import io.tfgw.converters.graph.GraphSource;
import io.tfgw.converters.graph.LookupTables;
import io.tfgw.runtime.LookupTable;
import io.tfgw.converters.graph.SaverBuilder;
import io.tfgw.converters.graph.SaverVariables;
import io.tfgw.converters.graph.Signatures;
import io.tfgw.converters.graph.Thawer;
import io.tfgw.converters.meta.SaverRewriter;
import io.tfgw.converters.savedmodel.SavedModelWriter;
import io.tfgw.converters.graph.TensorRef;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.InMemoryCheckpoint;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AssetFileDef;
import io.tfgw.proto.CollectionDef;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.MetaGraphDef.MetaInfoDef;
import io.tfgw.proto.SaverDef;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Conversions between graph formats: checkpoint + .meta, SavedModel and frozen GraphDef. */
public final class ModelConverter {
  private final Storage storage;

  /** What a model conversion wrote. */
  public record Result(Location source, String sourceFormat, Location destination, String format, List<String> outputs,
      int nodes, int variables, long bytes, List<String> notes) {}

  /** A converter reading and writing through {@code storage}. */
  public ModelConverter(Storage storage) {
    this.storage = storage;
  }

  /** {@code --to frozen}: variables become Consts, the graph is cut to the outputs. */
  public Result toFrozen(Location source, Location destination, List<String> outputs, String signature, String tag) {
    Resolved resolved = new Resolver(storage).resolve(source);
    if (resolved.format().equals("hdf5") || resolved.format().equals("keras")) {
      return new KerasConverter(storage).toFrozen(resolved.target(), destination, null, outputs);
    }
    if (resolved.format().equals("onnx")) {
      return io.tfgw.converters.onnx.read.OnnxModels.toFrozen(storage, resolved.target(), destination, outputs,
          resolved.notes());
    }
    GraphSource graph = GraphSource.load(storage, resolved, tag);
    if (graph.isTf2()) {
      return tf2ToFrozen(resolved, graph, destination, outputs, signature, tag);
    }
    List<String> outs = outputs.isEmpty() ? defaultOutputs(graph, signature) : outputs;
    List<String> inputs = signatureInputs(graph, outputs, signature);
    List<String> notes = new ArrayList<>(resolved.notes());
    GraphIndex index = new GraphIndex(graph.graph());
    Set<String> needed = index.needed(roots(outs, inputs));
    Model model = null;
    CheckpointReader reader = null;
    try {
      Map<String, LookupTable> tables = Map.of();
      if (LookupTables.anyTable(index, needed)) {
        // the tables' contents are what the model's own init puts in them when it loads
        model = Models.load(storage, resolved, tag == null ? null : List.of(tag));
        tables = LookupTables.contents(index, needed, model.session());
      }
      reader = graph.checkpoint() == null ? null
          : Checkpoints.open(storage, new Resolver(storage).resolve(graph.checkpoint()));
      Freezer.Result r = new Freezer(graph.graph(), reader == null ? Checkpoints.empty(graph.location(), "none") : reader)
          .withTables(tables).freeze(outs, inputs, storage.outputFile(destination));
      noteTables(r, notes);
      return new Result(graph.location(), graph.format(), destination, "frozen", outs, r.nodes(), r.variablesFrozen(),
          r.bytes(), notes);
    } finally {
      if (reader != null) {
        reader.close();
      }
      if (model != null) {
        model.close();
      }
    }
  }

  private static List<String> roots(List<String> outputs, List<String> inputs) {
    List<String> roots = new ArrayList<>();
    outputs.forEach(o -> roots.add(TensorRef.parse(o).node()));
    inputs.forEach(i -> roots.add(TensorRef.parse(i).node()));
    return roots;
  }

  private static void noteTables(Freezer.Result r, List<String> notes) {
    if (r.tablesFolded() > 0) {
      notes.add(r.tablesFolded() + " lookup table(s) written with their contents; run '" + LookupTables.INIT_ALL_TABLES
          + "' once before the outputs (as after tf.compat.v1.tables_initializer())");
    }
  }

  /**
   * The inputs of the signature a freeze follows (its outputs were taken from it, or it was named): they stay in the
   * frozen graph even when no output depends on them, so a client that feeds every input of the signature by tensor
   * name still can.
   */
  private static List<String> signatureInputs(GraphSource graph, List<String> outputs, String signature) {
    if (graph.meta().getSignatureDefCount() == 0 || (!outputs.isEmpty() && signature == null)) {
      return List.of();
    }
    List<String> inputs = new ArrayList<>();
    for (TensorInfo t : graph.signature(signature).getInputsMap().values()) {
      if (t.hasName()) {
        inputs.add(t.getName());
      }
    }
    return inputs;
  }

  /**
   * {@code --to savedmodel}: a TF1 SavedModel (tag {@code serve}) that TF's loader restores: the graph with its
   * saver adapted to V2 (or a saver added), {@code variables/} from the checkpoint, the signature kept or built
   * from {@code --inputs}/{@code --outputs} as {@code serving_default}. From a frozen graph the constants stay
   * constants, unless {@code thaw} turns float constants of at least {@code thawMinBytes} into variables.
   */
  public Result toSavedModel(Location source, Location destination, List<String> inputs, List<String> outputs,
      String signature, String tag, boolean thaw, long thawMinBytes) {
    Resolved resolved = new Resolver(storage).resolve(source);
    if (resolved.format().equals("hdf5") || resolved.format().equals("keras")) {
      return new KerasConverter(storage).toSavedModel(resolved.target(), destination, null);
    }
    if (resolved.format().equals("onnx")) {
      return io.tfgw.converters.onnx.read.OnnxModels.toSavedModel(storage, resolved.target(), destination,
          resolved.notes());
    }
    GraphSource graph = GraphSource.load(storage, resolved, tag);
    List<String> notes = new ArrayList<>(resolved.notes());
    if (storage.exists(destination.resolve("saved_model.pb"))) {
      throw new WrongInputException(destination + " already holds a SavedModel; choose a new directory (TF Serving "
          + "expects a new numeric version directory per model version)");
    }
    MetaGraphDef.Builder meta;
    CheckpointReader variables = null;
    Map<String, Location> assets = new java.util.TreeMap<>();
    try {
      switch (graph.format()) {
        case "frozen": {
          GraphDef g = graph.graph();
          SaverDef saver = null;
          if (thaw) {
            Thawer.Thawed t = Thawer.thaw(g, thawMinBytes);
            g = t.graph();
            saver = t.saver();
            variables = new InMemoryCheckpoint(graph.location(), "frozen", t.values());
            notes.add("thawed " + t.values().size() + " constants into variables");
          }
          List<String> outs = requireOutputs(graph, outputs);
          meta = MetaGraphDef.newBuilder().setGraphDef(g)
              .putSignatureDef("serving_default", Signatures.predict(new GraphIndex(g), inputs, outs));
          if (saver != null) {
            meta.setSaverDef(saver);
          }
          NodeDef initTables = new GraphIndex(g).node(LookupTables.INIT_ALL_TABLES);
          if (initTables != null && initTables.getOp().equals("NoOp")) {
            // a frozen graph's tables (tfgw writes them with their contents) are filled by TF's loader
            meta.putCollectionDef(MAIN_OP, CollectionDef.newBuilder().setNodeList(
                CollectionDef.NodeList.newBuilder().addValue(LookupTables.INIT_ALL_TABLES)).build());
            notes.add("lookup tables are filled by the main op " + LookupTables.INIT_ALL_TABLES);
          }
          break;
        }
        case "meta": {
          meta = prepared(graph, inputs, outputs, signature);
          if (initialiseTables(meta)) {
            notes.add("lookup tables are filled by the main op " + meta.getCollectionDefOrThrow(MAIN_OP)
                .getNodeList().getValue(0));
          }
          if (copyAssets(graph, meta, assets)) {
            notes.add("copied to assets/: " + String.join(", ", assets.keySet()));
          }
          variables = Checkpoints.open(storage, new Resolver(storage).resolve(graph.checkpoint()));
          break;
        }
        case "savedmodel": {
          meta = graph.meta().toBuilder();
          if (!outputs.isEmpty()) {
            meta.putSignatureDef("serving_default", Signatures.predict(new GraphIndex(graph.graph()), inputs, outputs));
          }
          if (graph.checkpoint() != null) {
            variables = Checkpoints.open(storage, new Resolver(storage).resolve(graph.checkpoint()));
          }
          Location assetDir = graph.location().resolve("assets");
          for (FileEntry f : storage.list(assetDir)) {
            assets.put(assetDir.relativize(f.location()), f.location());
          }
          break;
        }
        default:
          throw new UnsupportedInputException(graph.location() + " cannot be converted to a SavedModel");
      }
      MetaInfoDef.Builder info = meta.getMetaInfoDef().toBuilder();
      if (!graph.format().equals("savedmodel")) {
        info.clearTags().addTags("serve");
      }
      meta.setMetaInfoDef(info);
      SavedModelWriter.Result r = new SavedModelWriter(storage).write(destination, meta.build(), variables, assets);
      List<String> outs = meta.getSignatureDefMap().values().stream()
          .flatMap(s -> s.getOutputsMap().values().stream()).map(TensorInfo::getName).distinct().toList();
      return new Result(graph.location(), graph.format(), destination, "savedmodel", outs,
          meta.getGraphDef().getNodeCount(), r.variables(), r.bytes(), notes);
    } finally {
      if (variables != null) {
        variables.close();
      }
    }
  }

  private static final String MAIN_OP = "saved_model_main_op";
  private static final String LEGACY_INIT_OP = "legacy_init_op";
  private static final String TABLE_INITIALIZERS = "table_initializer";
  private static final String ASSET_FILEPATHS = "asset_filepaths";
  private static final String SAVED_MODEL_ASSETS = "saved_model_assets";

  /**
   * A TF1 graph whose lookup tables are filled by its table initialisers (the table_initializer collection) gets
   * them run when TF's loader loads the SavedModel, as TF1's builder does with {@code main_op=tables_initializer()}:
   * a main op over the initialisers (the graph's own {@code init_all_tables} NoOp when it has one). A graph that
   * already names a main op or legacy init op keeps it.
   *
   * @return whether a main op was added
   */
  private static boolean initialiseTables(MetaGraphDef.Builder meta) {
    CollectionDef tables = meta.getCollectionDefMap().get(TABLE_INITIALIZERS);
    if (tables == null || tables.getNodeList().getValueCount() == 0 || meta.containsCollectionDef(MAIN_OP)
        || meta.containsCollectionDef(LEGACY_INIT_OP)) {
      return false;
    }
    GraphIndex index = new GraphIndex(meta.getGraphDef());
    String initOp = LookupTables.INIT_ALL_TABLES;
    NodeDef existing = index.node(initOp);
    if (existing == null || !existing.getOp().equals("NoOp")) {
      initOp = existing == null ? initOp : "tfgw_" + initOp;
      index.require(TensorRef.parse(tables.getNodeList().getValue(0)).node(), "in the table_initializer collection");
      NodeDef.Builder noOp = NodeDef.newBuilder().setName(initOp).setOp("NoOp");
      for (String t : tables.getNodeList().getValueList()) {
        noOp.addInput("^" + TensorRef.parse(t).node());
      }
      meta.setGraphDef(meta.getGraphDef().toBuilder().addNode(noOp));
    }
    meta.putCollectionDef(MAIN_OP, CollectionDef.newBuilder().setNodeList(
        CollectionDef.NodeList.newBuilder().addValue(initOp)).build());
    return true;
  }

  /**
   * Each file named in a TF1 graph's asset_filepaths collection (a table initialiser's vocabulary) is copied to
   * assets/ and listed in the saved_model_assets collection, as TF1's builder does with
   * {@code assets_collection=ASSET_FILEPATHS}, so TF's loader feeds the copy's path to the graph's path constant. A
   * file that moved since training is looked for by its name next to the {@code .meta}.
   *
   * @return whether assets were added
   */
  private boolean copyAssets(GraphSource graph, MetaGraphDef.Builder meta, Map<String, Location> assets) {
    CollectionDef files = meta.getCollectionDefMap().get(ASSET_FILEPATHS);
    if (files == null || files.getNodeList().getValueCount() == 0) {
      return false;
    }
    GraphIndex index = new GraphIndex(meta.getGraphDef());
    CollectionDef.AnyList.Builder assetDefs = CollectionDef.AnyList.newBuilder();
    for (String tensor : files.getNodeList().getValueList()) {
      NodeDef constant = index.require(TensorRef.parse(tensor).node(), "in the asset_filepaths collection");
      if (!constant.getOp().equals("Const") || constant.getAttrOrThrow("value").getTensor().getStringValCount() != 1) {
        throw new UnsupportedInputException("The asset_filepaths collection of " + graph.location() + " names '"
            + tensor + "', which is not a constant file path; tfgw cannot tell which file to copy to assets/");
      }
      String path = constant.getAttrOrThrow("value").getTensor().getStringVal(0).toStringUtf8();
      Location file = Location.parse(path);
      if (!storage.exists(file)) {
        file = graph.location().parent().resolve(file.fileName());
      }
      if (!storage.exists(file)) {
        throw new WrongInputException("The graph's lookup table reads " + path + " (its asset_filepaths collection), "
            + "which is not there, nor is " + file + ": copy the file next to the .meta");
      }
      Location previous = assets.putIfAbsent(file.fileName(), file);
      if (previous != null && !previous.equals(file)) {
        throw new UnsupportedInputException("Two asset files of " + graph.location() + " are both named "
            + file.fileName() + " (" + previous + ", " + file + "); assets/ can hold only one");
      }
      AssetFileDef def = AssetFileDef.newBuilder().setFilename(file.fileName())
          .setTensorInfo(TensorInfo.newBuilder().setName(TensorRef.parse(tensor).tensorName())).build();
      assetDefs.addValue(com.google.protobuf.Any.pack(def, "type.googleapis.com"));
    }
    meta.putCollectionDef(SAVED_MODEL_ASSETS, CollectionDef.newBuilder().setAnyList(assetDefs).build());
    meta.clearAssetFileDef(); // the loader prefers asset_file_def to the collection: only ours must count
    return true;
  }

  /** A .meta's MetaGraph made loadable as a SavedModel: saver in V2 (or added), a serving signature. */
  private MetaGraphDef.Builder prepared(GraphSource graph, List<String> inputs, List<String> outputs, String signature) {
    MetaGraphDef source = graph.meta();
    MetaGraphDef.Builder meta;
    if (source.hasSaverDef()) {
      meta = SaverRewriter.forFormat(source, SaverDef.CheckpointFormatVersion.V2).toBuilder();
    } else {
      List<SaverBuilder.Variable> vars = new ArrayList<>();
      for (NodeDef n : source.getGraphDef().getNodeList()) {
        if (SaverVariables.VARIABLE_OPS.contains(n.getOp())) {
          int dt = n.getAttrOrThrow("dtype").getType().getNumber();
          vars.add(new SaverBuilder.Variable(n.getName(), n.getName(), DType.fromNumber(dt), n.getOp().equals("VarHandleOp")));
        }
      }
      SaverDef.Builder saver = SaverDef.newBuilder();
      meta = source.toBuilder().setGraphDef(SaverBuilder.addRestore(source.getGraphDef(), vars, "save", saver)).setSaverDef(saver);
    }
    if (!outputs.isEmpty() || source.getSignatureDefCount() == 0) {
      meta.putSignatureDef("serving_default",
          Signatures.predict(new GraphIndex(source.getGraphDef()), inputs, requireOutputs(graph, outputs)));
    }
    return meta;
  }

  private List<String> requireOutputs(GraphSource graph, List<String> outputs) {
    if (!outputs.isEmpty()) {
      for (String o : outputs) {
        new GraphIndex(graph.graph()).require(TensorRef.parse(o).node(), "named by --outputs");
      }
      return outputs;
    }
    throw new WrongInputException("Name the model's outputs with --outputs NAME[,NAME] (they become the serving "
        + "signature); likely candidates in " + graph.location() + ": " + String.join(", ", leafCandidates(graph)));
  }

  /**
   * A TF2 SavedModel: the signature's function calls are inlined into the graph, and each captured variable's
   * handle becomes a Const holding the value the model's own restore function loads (run in tfgw's runtime).
   */
  private Result tf2ToFrozen(Resolved resolved, GraphSource graph, Location destination, List<String> outputs,
      String signature, String tag) {
    try (Model model = Models.load(storage, resolved, tag == null ? null : List.of(tag))) {
      List<String> outs = outputs;
      if (outs.isEmpty()) {
        Signature sig = model.signature(signature);
        if (sig == null) {
          throw new WrongInputException(graph.location() + " has no signatures; name the outputs with --outputs");
        }
        outs = sig.outputs().values().stream().map(TensorSpec::tensorName).toList();
      }
      List<String> inputs = signatureInputs(graph, outputs, signature);
      GraphDef inlined = FunctionInliner.inline(model.graph(), outs);
      GraphIndex index = new GraphIndex(inlined);
      Session session = model.session();
      Set<String> needed = index.needed(roots(outs, inputs));
      Map<String, TensorData> values = variableValues(model, index, needed);
      Freezer.Result r = new Freezer(inlined, new InMemoryCheckpoint(graph.location(), "savedmodel", values))
          .withTables(LookupTables.contents(index, needed, session))
          .freeze(outs, inputs, storage.outputFile(destination));
      List<String> notes = new ArrayList<>(resolved.notes());
      notes.add("inlined the signature's functions (TF2 SavedModel)");
      noteTables(r, notes);
      return new Result(graph.location(), "savedmodel", destination, "frozen", outs, r.nodes(), r.variablesFrozen(),
          r.bytes(), notes);
    }
  }

  /**
   * The values of the resource variables a TF2 graph (its functions inlined) reads for {@code outs}, by VarHandleOp
   * node name, as the model's own restore function loads them (run in tfgw's runtime).
   */
  public static Map<String, TensorData> tf2VariableValues(Model model, GraphDef inlined, List<String> outs) {
    GraphIndex index = new GraphIndex(inlined);
    return variableValues(model, index, index.needed(outs.stream().map(o -> TensorRef.parse(o).node()).toList()));
  }

  private static Map<String, TensorData> variableValues(Model model, GraphIndex index, java.util.Collection<String> needed) {
    Map<String, TensorData> values = new java.util.LinkedHashMap<>();
    Session session = model.session();
    Map<String, io.tfgw.runtime.Variable> variables = session.variables();
    for (String name : needed) {
      NodeDef n = index.node(name);
      if (n.getOp().equals("VarHandleOp")) {
        String shared = n.getAttrMap().containsKey("shared_name") ? n.getAttrOrThrow("shared_name").getS().toStringUtf8() : "";
        io.tfgw.runtime.Variable v = variables.get(shared.isEmpty() ? name : shared);
        if (v == null) {
          throw new UnsupportedInputException("Variable '" + name + "' of " + model.location()
              + " is not restored by the model's saver; it cannot be frozen");
        }
        values.put(name, session.valueOf(v).toData());
      }
    }
    return values;
  }

  /** A SavedModel's signature outputs; otherwise the user must say, and the error lists likely candidates. */
  private List<String> defaultOutputs(GraphSource graph, String signature) {
    if (graph.meta().getSignatureDefCount() > 0) {
      SignatureDef sig = graph.signature(signature);
      List<String> outs = new ArrayList<>();
      for (TensorInfo t : sig.getOutputsMap().values()) {
        if (!t.hasName()) {
          throw new UnsupportedInputException("Signature output " + t + " is sparse or composite; name dense outputs with --outputs");
        }
        outs.add(t.getName());
      }
      return outs;
    }
    throw new WrongInputException("Name the outputs to keep with --outputs NAME[,NAME]; likely candidates in "
        + graph.location() + ": " + String.join(", ", leafCandidates(graph)));
  }

  /** Nodes nothing consumes, outside the saver, initialisers and training. */
  static List<String> leafCandidates(GraphSource graph) {
    Set<String> consumed = new HashSet<>();
    for (NodeDef n : graph.graph().getNodeList()) {
      for (String in : n.getInputList()) {
        consumed.add(TensorRef.parse(in).node());
      }
    }
    List<String> out = new ArrayList<>();
    for (NodeDef n : graph.graph().getNodeList()) {
      String name = n.getName();
      if (consumed.contains(name) || name.startsWith("save/") || name.startsWith("save_") || name.contains("gradients")
          || name.startsWith("init") || n.getOp().equals("NoOp") || n.getOp().startsWith("Assign")
          || n.getOp().startsWith("Apply") || n.getOp().startsWith("ResourceApply") || n.getOp().equals("Const")) {
        continue;
      }
      out.add(name);
      if (out.size() >= 10) {
        break;
      }
    }
    return out;
  }
}
