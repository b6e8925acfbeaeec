package io.tfgw.converters.convert;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.FunctionInliner;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.core.runtime.Session;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.converters.graph.GraphIndex;
import io.tfgw.converters.graph.GraphSource;
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
    GraphSource graph = GraphSource.load(storage, resolved, tag);
    if (graph.isTf2()) {
      return tf2ToFrozen(resolved, graph, destination, outputs, signature, tag);
    }
    List<String> outs = outputs.isEmpty() ? defaultOutputs(graph, signature) : outputs;
    List<String> notes = new ArrayList<>(resolved.notes());
    CheckpointReader reader = graph.checkpoint() == null ? null
        : Checkpoints.open(storage, new Resolver(storage).resolve(graph.checkpoint()));
    try {
      Freezer.Result r = new Freezer(graph.graph(), reader == null ? Checkpoints.empty(graph.location(), "none") : reader)
          .freeze(outs, storage.outputFile(destination));
      return new Result(graph.location(), graph.format(), destination, "frozen", outs, r.nodes(), r.variablesFrozen(),
          r.bytes(), notes);
    } finally {
      if (reader != null) {
        reader.close();
      }
    }
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
          break;
        }
        case "meta": {
          meta = prepared(graph, inputs, outputs, signature);
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
      GraphDef inlined = FunctionInliner.inline(model.graph(), outs);
      GraphIndex index = new GraphIndex(inlined);
      Map<String, TensorData> values = new java.util.LinkedHashMap<>();
      Session session = model.session();
      Map<String, io.tfgw.core.runtime.Variable> variables = session.variables();
      for (String name : index.needed(outs.stream().map(o -> TensorRef.parse(o).node()).toList())) {
        NodeDef n = index.node(name);
        if (n.getOp().equals("VarHandleOp")) {
          String shared = n.getAttrMap().containsKey("shared_name") ? n.getAttrOrThrow("shared_name").getS().toStringUtf8() : "";
          io.tfgw.core.runtime.Variable v = variables.get(shared.isEmpty() ? name : shared);
          if (v == null) {
            throw new UnsupportedInputException("Variable '" + name + "' of " + graph.location()
                + " is not restored by the model's saver; it cannot be frozen");
          }
          values.put(name, session.valueOf(v).toData());
        }
      }
      Freezer.Result r = new Freezer(inlined, new InMemoryCheckpoint(graph.location(), "savedmodel", values))
          .freeze(outs, storage.outputFile(destination));
      List<String> notes = new ArrayList<>(resolved.notes());
      notes.add("inlined the signature's functions (TF2 SavedModel)");
      return new Result(graph.location(), "savedmodel", destination, "frozen", outs, r.nodes(), r.variablesFrozen(),
          r.bytes(), notes);
    }
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
