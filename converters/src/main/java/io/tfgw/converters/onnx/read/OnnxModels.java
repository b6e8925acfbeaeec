package io.tfgw.converters.onnx.read;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.Thawer;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.converters.savedmodel.SavedModelWriter;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.InMemoryCheckpoint;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.DataType;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.MetaGraphDef.MetaInfoDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import io.tfgw.proto.TensorShapeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX files as tfgw models: run in the runtime (signature {@code serving_default} keyed by the ONNX input and output
 * names), written as a frozen GraphDef (initializers as constants) or a TF1 SavedModel (float initializers as
 * variables).
 */
public final class OnnxModels {
  private OnnxModels() {}

  /** The ONNX file as a runnable model. */
  public static Model load(Storage storage, Location file) {
    OnnxImporter.Imported imported = OnnxImporter.importModel(OnnxFile.read(storage, file));
    Signature sig = new Signature(Model.DEFAULT_SIGNATURE, io.tfgw.converters.graph.Signatures.PREDICT,
        imported.inputs(), imported.outputs());
    return new Model("onnx", file, imported.graph(), Map.of(Model.DEFAULT_SIGNATURE, sig), null, null, List.of());
  }

  /** {@code convert model.onnx out.pb --to frozen}. */
  public static ModelConverter.Result toFrozen(Storage storage, Location source, Location destination,
      List<String> outputs, List<String> notes) {
    OnnxImporter.Imported imported = OnnxImporter.importModel(OnnxFile.read(storage, source));
    List<String> outs = outputTensors(imported, outputs);
    Freezer.Result r = new Freezer(imported.graph(), Checkpoints.empty(source, "onnx"))
        .freeze(outs, storage.outputFile(destination));
    return new ModelConverter.Result(source, "onnx", destination, "frozen", outs, r.nodes(), 0, r.bytes(), notes);
  }

  /** {@code convert model.onnx export/1 --to savedmodel}: float initializers become variables. */
  public static ModelConverter.Result toSavedModel(Storage storage, Location source, Location destination,
      List<String> notes) {
    if (storage.exists(destination.resolve("saved_model.pb"))) {
      throw new WrongInputException(destination + " already holds a SavedModel; choose a new directory (TF Serving "
          + "expects a new numeric version directory per model version)");
    }
    OnnxImporter.Imported imported = OnnxImporter.importModel(OnnxFile.read(storage, source));
    Thawer.Thawed t = Thawer.thaw(imported.graph(), n -> imported.initializers().contains(n.getName()), 0);
    SignatureDef.Builder sig = SignatureDef.newBuilder().setMethodName(io.tfgw.converters.graph.Signatures.PREDICT);
    imported.inputs().forEach((k, v) -> sig.putInputs(k, info(v)));
    imported.outputs().forEach((k, v) -> sig.putOutputs(k, info(v)));
    MetaGraphDef.Builder meta = MetaGraphDef.newBuilder().setGraphDef(t.graph())
        .setMetaInfoDef(MetaInfoDef.newBuilder().addTags("serve"))
        .putSignatureDef(Model.DEFAULT_SIGNATURE, sig.build());
    if (t.saver() != null) {
      meta.setSaverDef(t.saver());
    }
    List<String> outNotes = new ArrayList<>(notes);
    outNotes.add(t.values().size() + " initializers became variables");
    try (InMemoryCheckpoint variables = new InMemoryCheckpoint(source, "onnx", t.values())) {
      SavedModelWriter.Result r = new SavedModelWriter(storage).write(destination, meta.build(),
          t.values().isEmpty() ? null : variables, Map.of());
      return new ModelConverter.Result(source, "onnx", destination, "savedmodel",
          imported.outputs().values().stream().map(TensorSpec::tensorName).toList(), meta.getGraphDef().getNodeCount(),
          r.variables(), r.bytes(), outNotes);
    }
  }

  private static List<String> outputTensors(OnnxImporter.Imported imported, List<String> outputs) {
    if (outputs.isEmpty()) {
      return imported.outputs().values().stream().map(TensorSpec::tensorName).toList();
    }
    List<String> out = new ArrayList<>();
    for (String o : outputs) {
      TensorSpec s = imported.outputs().get(o);
      out.add(s != null ? s.tensorName() : o);
    }
    return out;
  }

  private static TensorInfo info(TensorSpec s) {
    TensorInfo.Builder b = TensorInfo.newBuilder().setName(s.tensorName())
        .setDtype(DataType.forNumber(s.dtype().number()));
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (s.shape() == null) {
      shape.setUnknownRank(true);
    } else {
      for (long d : s.shape()) {
        shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
      }
    }
    return b.setTensorShape(shape).build();
  }
}
