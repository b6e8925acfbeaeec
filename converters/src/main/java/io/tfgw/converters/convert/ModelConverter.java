package io.tfgw.converters.convert;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.GraphSource;
import io.tfgw.converters.graph.TensorRef;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Conversions between graph formats: checkpoint + .meta, SavedModel and frozen GraphDef. */
public final class ModelConverter {
  private final Storage storage;

  /** What a model conversion wrote. */
  public record Result(Location source, String sourceFormat, Location destination, String format, List<String> outputs,
      int nodes, int variables, long bytes, List<String> notes) {}

  public ModelConverter(Storage storage) {
    this.storage = storage;
  }

  /** {@code --to frozen}: variables become Consts, the graph is cut to the outputs. */
  public Result toFrozen(Location source, Location destination, List<String> outputs, String signature, String tag) {
    Resolved resolved = new Resolver(storage).resolve(source);
    GraphSource graph = GraphSource.load(storage, resolved, tag);
    if (graph.isTf2()) {
      throw new UnsupportedInputException(graph.location() + " is a TF2 SavedModel (functions and an object graph); "
          + "freezing TF2 SavedModels is not supported yet. TF1-style SavedModels, .meta + checkpoint and frozen "
          + "graphs are.");
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
