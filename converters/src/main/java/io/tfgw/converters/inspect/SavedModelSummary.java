package io.tfgw.converters.inspect;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SavedModel;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import io.tfgw.proto.TensorShapeProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The facts {@code saved_model_cli show} gives: tags, signatures with their inputs and outputs, versions. */
final class SavedModelSummary {
  private SavedModelSummary() {}

  static Map<String, Object> describe(Storage storage, Location dir) {
    Location pb = dir.resolve("saved_model.pb");
    if (!storage.exists(pb)) {
      throw new UnsupportedInputException(dir + " has saved_model.pbtxt only; text SavedModels are not supported, "
          + "convert it with TensorFlow to binary first");
    }
    SavedModel model;
    try {
      model = SavedModel.parseFrom(storage.inputFile(pb).readAllBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(pb + " is not a valid SavedModel protobuf: " + e.getMessage());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("saved_model_schema_version", model.getSavedModelSchemaVersion());
    List<Map<String, Object>> graphs = new ArrayList<>();
    for (MetaGraphDef mg : model.getMetaGraphsList()) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("tags", mg.getMetaInfoDef().getTagsList());
      if (!mg.getMetaInfoDef().getTensorflowVersion().isEmpty()) {
        g.put("tensorflow_version", mg.getMetaInfoDef().getTensorflowVersion());
      }
      g.put("graph_nodes", mg.getGraphDef().getNodeCount());
      g.put("functions", mg.getGraphDef().getLibrary().getFunctionCount());
      g.put("object_graph", mg.hasObjectGraphDef());
      Map<String, Object> sigs = new TreeMap<>();
      for (Map.Entry<String, SignatureDef> e : mg.getSignatureDefMap().entrySet()) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("method_name", e.getValue().getMethodName());
        s.put("inputs", tensorInfos(e.getValue().getInputsMap()));
        s.put("outputs", tensorInfos(e.getValue().getOutputsMap()));
        sigs.put(e.getKey(), s);
      }
      g.put("signatures", sigs);
      graphs.add(g);
    }
    out.put("meta_graphs", graphs);
    return out;
  }

  private static Map<String, Object> tensorInfos(Map<String, TensorInfo> infos) {
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<String, TensorInfo> e : infos.entrySet()) {
      TensorInfo t = e.getValue();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.hasName() ? t.getName() : t.hasCooSparse() ? "(sparse) " + t.getCooSparse().getValuesTensorName()
          : "(composite)");
      String dtype;
      try {
        dtype = DType.fromNumber(t.getDtypeValue()).pythonName();
      } catch (UnsupportedInputException ex) {
        dtype = "dtype_" + t.getDtypeValue();
      }
      m.put("dtype", dtype);
      m.put("shape", shape(t.getTensorShape()));
      out.put(e.getKey(), m);
    }
    return out;
  }

  /** Dimensions with -1 for unknown; null for unknown rank. */
  private static List<Long> shape(TensorShapeProto p) {
    if (p.getUnknownRank()) {
      return null;
    }
    List<Long> dims = new ArrayList<>();
    for (TensorShapeProto.Dim d : p.getDimList()) {
      dims.add(d.getSize());
    }
    return dims;
  }
}
