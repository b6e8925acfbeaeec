package io.tfgw.converters.graph;

import com.google.protobuf.ByteString;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SaverDef;
import io.tfgw.proto.TensorProto;
import io.tfgw.proto.TensorShapeProto;
import java.util.List;

/**
 * Adds the restore half of Python's {@code tf.train.Saver} (V2) to a graph, for graphs that have variables but no
 * saver (thawed constants): {@code save/Const} (the filename), one {@code RestoreV2} for all variables, an
 * {@code Assign}/{@code AssignVariableOp} per variable and {@code save/restore_all}. That is what TF's SavedModel
 * loader runs, feeding {@code variables/variables} to {@code save/Const:0}.
 */
public final class SaverBuilder {
  /** A variable to restore: its node, checkpoint name, dtype and kind. */
  public record Variable(String node, String checkpointName, DType dtype, boolean resource) {}

  private SaverBuilder() {}

  /** The graph with the saver ops added under the scope {@code scope} (e.g. "save"), and its SaverDef. */
  public static GraphDef addRestore(GraphDef graph, List<Variable> variables, String scope, SaverDef.Builder saverOut) {
    GraphDef.Builder g = graph.toBuilder();
    String filename = scope + "/Const";
    g.addNode(NodeDef.newBuilder().setName(filename).setOp("PlaceholderWithDefault")
        .addInput(scope + "/filename/input")
        .putAttr("dtype", type(DataType.DT_STRING))
        .putAttr("shape", AttrValue.newBuilder().setShape(TensorShapeProto.getDefaultInstance()).build()));
    g.addNode(stringConst(scope + "/filename/input", List.of("model"), false));
    String names = scope + "/RestoreV2/tensor_names";
    String specs = scope + "/RestoreV2/shape_and_slices";
    g.addNode(stringConst(names, variables.stream().map(Variable::checkpointName).toList(), true));
    g.addNode(stringConst(specs, variables.stream().map(v -> "").toList(), true));
    AttrValue.ListValue.Builder dtypes = AttrValue.ListValue.newBuilder();
    variables.forEach(v -> dtypes.addType(DataType.forNumber(v.dtype().number())));
    String restore = scope + "/RestoreV2";
    g.addNode(NodeDef.newBuilder().setName(restore).setOp("RestoreV2").addInput(filename).addInput(names).addInput(specs)
        .putAttr("dtypes", AttrValue.newBuilder().setList(dtypes).build()));
    NodeDef.Builder all = NodeDef.newBuilder().setName(scope + "/restore_all").setOp("NoOp");
    for (int i = 0; i < variables.size(); i++) {
      Variable v = variables.get(i);
      String value = restore + (i == 0 ? "" : ":" + i);
      String assign;
      if (v.resource()) {
        assign = scope + "/AssignVariableOp" + (i == 0 ? "" : "_" + i);
        g.addNode(NodeDef.newBuilder().setName(assign).setOp("AssignVariableOp").addInput(v.node()).addInput(value)
            .putAttr("dtype", type(DataType.forNumber(v.dtype().number()))));
      } else {
        assign = scope + "/Assign" + (i == 0 ? "" : "_" + i);
        g.addNode(NodeDef.newBuilder().setName(assign).setOp("Assign").addInput(v.node()).addInput(value)
            .putAttr("T", type(DataType.forNumber(v.dtype().number())))
            .putAttr("validate_shape", AttrValue.newBuilder().setB(true).build())
            .putAttr("use_locking", AttrValue.newBuilder().setB(true).build()));
      }
      all.addInput("^" + assign);
    }
    g.addNode(all);
    saverOut.setFilenameTensorName(filename + ":0").setSaveTensorName(filename + ":0")
        .setRestoreOpName(scope + "/restore_all").setMaxToKeep(5).setKeepCheckpointEveryNHours(10000)
        .setVersion(SaverDef.CheckpointFormatVersion.V2);
    return g.build();
  }

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static NodeDef stringConst(String name, List<String> values, boolean vector) {
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_STRING);
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (vector) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(values.size()));
    }
    t.setTensorShape(shape);
    values.forEach(v -> t.addStringVal(ByteString.copyFromUtf8(v)));
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", type(DataType.DT_STRING))
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
        .build();
  }
}
