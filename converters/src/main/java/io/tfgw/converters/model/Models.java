package io.tfgw.converters.model;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.converters.graph.LookupTables;
import io.tfgw.proto.AssetFileDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.CollectionDef;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SavedModel;
import io.tfgw.proto.SaverDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads models: SavedModel directories (TF1 and TF2), frozen GraphDefs, {@code .meta} files with checkpoints. */
public final class Models {
  /** The tag set a SavedModel is served with. */
  public static final String SERVE = "serve";

  private Models() {}

  /** Resolves the location and reads the model there (SavedModel with the {@code serve} tag). */
  public static Model load(Storage storage, Location location) {
    return load(storage, new Resolver(storage).resolve(location), null);
  }

  /**
   * Reads a resolved location as a model.
   *
   * @param tags the SavedModel tag set to load (null: {@code serve}, or the only meta graph)
   */
  public static Model load(Storage storage, Resolved resolved, List<String> tags) {
    switch (resolved.format()) {
      case "savedmodel":
        return savedModel(storage, resolved, tags);
      case "frozen":
        return frozen(storage, resolved.target());
      case "meta":
        return meta(storage, resolved.target().appendToName(".meta"), resolved);
      case "v2": case "v1": {
        Location meta = resolved.target().appendToName(".meta");
        if (storage.exists(meta)) {
          return meta(storage, meta, resolved);
        }
        throw new WrongInputException(resolved.target() + " is a checkpoint without a graph (no "
            + meta.fileName() + " next to it): a model needs a SavedModel, a frozen .pb, or a .meta with the checkpoint");
      }
      default:
        throw new UnsupportedInputException(resolved.target() + " is a " + resolved.format() + " file; running it "
            + "as a model is not supported");
    }
  }

  private static byte[] read(Storage storage, Location file) {
    return storage.inputFile(file).readAllBytes();
  }

  static Model frozen(Storage storage, Location file) {
    GraphDef graph;
    try {
      graph = GraphDef.parseFrom(read(storage, file));
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(file + " is not a GraphDef protobuf: " + e.getMessage());
    }
    if (graph.getNodeCount() == 0) {
      throw new WrongInputException(file + " parses as a GraphDef but has no nodes: it is not a frozen graph");
    }
    // a frozen graph with lookup tables fills them in init_all_tables (tf.tables_initializer()'s op), which its
    // users run once before lookups, as tfgw does here
    List<String> initOps = new ArrayList<>();
    for (NodeDef n : graph.getNodeList()) {
      if (n.getName().equals(LookupTables.INIT_ALL_TABLES)) {
        initOps.add(n.getName());
      }
    }
    return new Model("frozen", file, graph, Map.of(), null, null, initOps, List.of(), Map.of(),
        new StorageFiles(storage, file.parent()));
  }

  static Model meta(Storage storage, Location metaFile, Resolved resolved) {
    MetaGraphDef mg;
    try {
      mg = MetaGraphDef.parseFrom(read(storage, metaFile));
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(metaFile + " is not a MetaGraphDef protobuf: " + e.getMessage());
    }
    Location prefix = resolved.target();
    String name = metaFile.fileName();
    if (resolved.format().equals("meta")) {
      prefix = metaFile.parent().resolve(name.substring(0, name.length() - ".meta".length()));
    }
    CheckpointReader ckpt = null;
    if (storage.exists(BundleFiles.index(prefix)) || storage.exists(prefix)) {
      ckpt = Checkpoints.open(storage, new Resolved(storage.exists(BundleFiles.index(prefix)) ? "v2" : "v1", prefix,
          List.of()));
    }
    Model m = fromMetaGraph("meta", metaFile, mg, ckpt, prefix.toString());
    // TF1 training graphs leave tables to the code that restores them (Estimator's Scaffold runs
    // tf.tables_initializer() after restoring); a .meta alone is run the same way
    List<String> initOps = new ArrayList<>(m.initOps());
    CollectionDef tables = mg.getCollectionDefMap().get(TABLE_INITIALIZERS);
    if (tables != null) {
      for (String node : tables.getNodeList().getValueList()) {
        if (!initOps.contains(nodeName(node))) {
          initOps.add(nodeName(node));
        }
      }
    }
    // a .meta that was a SavedModel's meta graph names its assets: they are looked for next to the .meta
    Map<String, Location> assets = new TreeMap<>();
    for (AssetFileDef a : assetFileDefs(mg, metaFile)) {
      assets.put(a.getTensorInfo().getName(), metaFile.parent().resolve(a.getFilename()));
    }
    return new Model(m.format(), m.location(), m.graph(), m.signatures(), ckpt, m.restore().orElse(null), initOps,
        m.tags(), assets, new StorageFiles(storage, metaFile.parent()));
  }

  /** {@code tf.GraphKeys.TABLE_INITIALIZERS}: the ops that fill a TF1 graph's lookup tables. */
  static final String TABLE_INITIALIZERS = "table_initializer";
  /** {@code tf.saved_model.ASSETS_KEY}: TF1 SavedModels list their AssetFileDefs here (as Any protos). */
  static final String SAVED_MODEL_ASSETS = "saved_model_assets";

  static Model savedModel(Storage storage, Resolved resolved, List<String> tags) {
    Location dir = resolved.target();
    Location pb = dir.resolve("saved_model.pb");
    if (!storage.exists(pb)) {
      throw new UnsupportedInputException(dir + " has no saved_model.pb (text saved_model.pbtxt is not supported; "
          + "convert it to binary with TensorFlow)");
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(read(storage, pb));
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(pb + " is not a valid SavedModel protobuf: " + e.getMessage());
    }
    MetaGraphDef mg = chooseMetaGraph(sm, tags, pb);
    CheckpointReader ckpt = null;
    Location variables = dir.resolve("variables/variables");
    if (storage.exists(BundleFiles.index(variables))) {
      ckpt = Checkpoints.open(storage, resolved);
    }
    Model m = fromMetaGraph("savedmodel", dir, mg, ckpt, variables.toString());
    Map<String, Location> assets = new TreeMap<>();
    for (AssetFileDef a : assetFileDefs(mg, pb)) {
      assets.put(a.getTensorInfo().getName(), dir.resolve("assets").resolve(a.getFilename()));
    }
    return new Model(m.format(), dir, m.graph(), m.signatures(), ckpt, m.restore().orElse(null), m.initOps(), m.tags(),
        assets, new StorageFiles(storage, null));
  }

  /**
   * A meta graph's assets as TF's loader finds them: {@code asset_file_def} (TF2, newer TF1), else the
   * {@code saved_model_assets} collection (TF1's builder, also in TF 2.x's compat.v1).
   */
  public static List<AssetFileDef> assetFileDefs(MetaGraphDef mg, Location where) {
    if (mg.getAssetFileDefCount() > 0) {
      return mg.getAssetFileDefList();
    }
    CollectionDef c = mg.getCollectionDefMap().get(SAVED_MODEL_ASSETS);
    if (c == null) {
      return List.of();
    }
    List<AssetFileDef> out = new ArrayList<>();
    for (com.google.protobuf.Any any : c.getAnyList().getValueList()) {
      try {
        out.add(AssetFileDef.parseFrom(any.getValue()));
      } catch (InvalidProtocolBufferException e) {
        throw new CorruptInputException(where + ": an entry of the " + SAVED_MODEL_ASSETS + " collection is not an "
            + "AssetFileDef: " + e.getMessage());
      }
    }
    return out;
  }

  private static MetaGraphDef chooseMetaGraph(SavedModel sm, List<String> tags, Location pb) {
    List<MetaGraphDef> graphs = sm.getMetaGraphsList();
    if (graphs.isEmpty()) {
      throw new CorruptInputException(pb + " holds no meta graph");
    }
    List<String> available = new ArrayList<>();
    for (MetaGraphDef mg : graphs) {
      List<String> t = mg.getMetaInfoDef().getTagsList();
      available.add(t.toString());
      if (tags != null ? t.containsAll(tags) && tags.containsAll(t) : t.contains(SERVE)) {
        return mg;
      }
    }
    if (tags == null && graphs.size() == 1) {
      return graphs.get(0);
    }
    throw new WrongInputException(pb + " has no meta graph with tags " + (tags == null ? "[serve]" : tags)
        + "; its tag sets: " + String.join(", ", available));
  }

  /** A model from a meta graph: its graph, signatures, saver and init ops, with the checkpoint at prefix. */
  public static Model fromMetaGraph(String format, Location location, MetaGraphDef mg, CheckpointReader ckpt,
      String prefix) {
    Map<String, Signature> sigs = new TreeMap<>();
    List<String> initOps = new ArrayList<>();
    for (Map.Entry<String, SignatureDef> e : mg.getSignatureDefMap().entrySet()) {
      if (e.getKey().equals(Model.INIT_SIGNATURE)) {
        for (TensorInfo t : e.getValue().getOutputsMap().values()) {
          initOps.add(nodeName(t.getName()));
        }
        continue;
      }
      sigs.put(e.getKey(), signature(e.getKey(), e.getValue()));
    }
    for (String collection : List.of("saved_model_main_op", "legacy_init_op")) {
      CollectionDef c = mg.getCollectionDefMap().get(collection);
      if (c != null && initOps.isEmpty()) {
        for (String node : c.getNodeList().getValueList()) {
          initOps.add(nodeName(node));
        }
      }
    }
    Model.Restore restore = null;
    if (mg.hasSaverDef() && !mg.getSaverDef().getRestoreOpName().isEmpty() && ckpt != null) {
      SaverDef s = mg.getSaverDef();
      restore = new Model.Restore(nodeName(s.getRestoreOpName()), s.getFilenameTensorName(), prefix);
    }
    return new Model(format, location, mg.getGraphDef(), sigs, ckpt, restore, initOps,
        mg.getMetaInfoDef().getTagsList());
  }

  private static String nodeName(String tensorName) {
    String n = tensorName.startsWith("^") ? tensorName.substring(1) : tensorName;
    int colon = n.lastIndexOf(':');
    return colon > 0 ? n.substring(0, colon) : n;
  }

  private static Signature signature(String key, SignatureDef def) {
    return new Signature(key, def.getMethodName(), specs(def.getInputsMap()), specs(def.getOutputsMap()));
  }

  private static Map<String, TensorSpec> specs(Map<String, TensorInfo> infos) {
    Map<String, TensorSpec> out = new TreeMap<>();
    for (Map.Entry<String, TensorInfo> e : infos.entrySet()) {
      TensorInfo t = e.getValue();
      if (!t.hasName()) {
        throw new UnsupportedInputException("Signature tensor '" + e.getKey() + "' is sparse or composite; only "
            + "dense tensors are supported");
      }
      DType dtype = null;
      try {
        dtype = t.getDtypeValue() == 0 ? null : DType.fromNumber(t.getDtypeValue());
      } catch (UnsupportedInputException ignored) {
        // an unknown dtype number: leave it undeclared
      }
      out.put(e.getKey(), new TensorSpec(t.getName(), dtype, t.hasTensorShape() ? Model.dims(t.getTensorShape())
          : null));
    }
    return out;
  }
}
