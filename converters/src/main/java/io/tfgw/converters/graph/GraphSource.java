package io.tfgw.converters.graph;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.v1.V1Files;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SavedModel;
import io.tfgw.proto.SignatureDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A TF1 graph together with where its variable values live: a {@code .meta} beside its checkpoint, one MetaGraph of
 * a SavedModel (by tag) with its {@code variables/}, or a frozen GraphDef (no variables).
 *
 * @param checkpoint the checkpoint prefix holding the variables, or null for a frozen graph
 * @param model the SavedModel the graph came from, or null
 */
public record GraphSource(String format, Location location, MetaGraphDef meta, Location checkpoint, SavedModel model) {

  public GraphDef graph() {
    return meta.getGraphDef();
  }

  /** Whether the graph is a TF2 one whose computation lives in functions called through the object graph. */
  public boolean isTf2() {
    return meta.hasObjectGraphDef() && meta.getGraphDef().getLibrary().getFunctionCount() > 0;
  }

  public static GraphSource load(Storage storage, Resolved resolved, String tag) {
    switch (resolved.format()) {
      case "meta":
      case "v1":
      case "v2": {
        Location prefix = resolved.target();
        Location metaFile = prefix.appendToName(".meta");
        if (!storage.exists(metaFile)) {
          throw new WrongInputException("Converting " + prefix + " to a model needs its graph, but " + metaFile.fileName()
              + " is not next to it. Pass the .meta file, or the checkpoint written together with one.");
        }
        if (!storage.exists(BundleFiles.index(prefix)) && !storage.exists(prefix)
            && V1Files.shardsOf(storage, prefix).isEmpty()) {
          throw new WrongInputException(metaFile + " has no checkpoint beside it (" + prefix.fileName()
              + ".index or a V1 file): the variable values are missing");
        }
        MetaGraphDef meta = parse(metaFile, storage.inputFile(metaFile).readAllBytes(), MetaGraphDef.parser());
        return new GraphSource("meta", metaFile, meta, prefix, null);
      }
      case "savedmodel": {
        Location dir = resolved.target();
        Location pb = dir.resolve("saved_model.pb");
        if (!storage.exists(pb)) {
          throw new UnsupportedInputException(dir + " has saved_model.pbtxt only; text SavedModels are not supported");
        }
        SavedModel model = parse(pb, storage.inputFile(pb).readAllBytes(), SavedModel.parser());
        MetaGraphDef meta = pick(model, tag, dir);
        Location variables = dir.resolve("variables/variables");
        return new GraphSource("savedmodel", dir, meta,
            storage.exists(BundleFiles.index(variables)) ? variables : null, model);
      }
      case "frozen": {
        GraphDef graph = parse(resolved.target(), storage.inputFile(resolved.target()).readAllBytes(), GraphDef.parser());
        return new GraphSource("frozen", resolved.target(), MetaGraphDef.newBuilder().setGraphDef(graph).build(), null, null);
      }
      default:
        throw new UnsupportedInputException(resolved.target() + " is a " + resolved.format() + " file, not a graph");
    }
  }

  private static <T> T parse(Location where, byte[] bytes, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(where + " cannot be parsed: " + e.getMessage());
    }
  }

  /** The MetaGraph with the tag (default {@code serve}); a single MetaGraph is taken whatever its tags. */
  static MetaGraphDef pick(SavedModel model, String tag, Location dir) {
    if (model.getMetaGraphsCount() == 0) {
      throw new CorruptInputException(dir + "/saved_model.pb holds no MetaGraph");
    }
    String wanted = tag == null ? "serve" : tag;
    List<List<String>> seen = new ArrayList<>();
    for (MetaGraphDef m : model.getMetaGraphsList()) {
      if (m.getMetaInfoDef().getTagsList().contains(wanted)) {
        return m;
      }
      seen.add(m.getMetaInfoDef().getTagsList());
    }
    if (tag == null && model.getMetaGraphsCount() == 1) {
      return model.getMetaGraphs(0);
    }
    throw new WrongInputException(dir + " has no MetaGraph tagged '" + wanted + "'; its tag sets are " + seen);
  }

  /** The signature by key (default {@code serving_default}, or the only one). */
  public SignatureDef signature(String key) {
    Map<String, SignatureDef> sigs = meta.getSignatureDefMap();
    if (key != null) {
      SignatureDef s = sigs.get(key);
      if (s == null) {
        throw new WrongInputException(location + " has no signature '" + key + "'; its signatures are " + sigs.keySet());
      }
      return s;
    }
    if (sigs.containsKey("serving_default")) {
      return sigs.get("serving_default");
    }
    if (sigs.size() == 1) {
      return sigs.values().iterator().next();
    }
    throw new WrongInputException(location + " has signatures " + sigs.keySet() + " and none is serving_default: "
        + "choose one with --signature, or name the outputs with --outputs");
  }
}
