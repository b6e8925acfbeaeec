package io.tfgw.converters.meta;

import com.google.protobuf.ByteString;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SaverDef;
import io.tfgw.proto.TensorProto;
import io.tfgw.proto.TensorShapeProto;
import java.util.HashMap;
import java.util.Map;

/**
 * Makes a MetaGraphDef's saver fit a checkpoint format, so that {@code import_meta_graph} followed by
 * {@code saver.restore} works on the converted checkpoint.
 *
 * <p>To V2: the V1 restore ops ({@code RestoreSlice}, {@code Restore}) only read V1 table files, so each becomes a
 * one-tensor {@code RestoreV2} under the same node name (its consumers are unchanged), reading from the save
 * prefix instead of a V1 shard pattern. To V1: {@code RestoreV2} already falls back to the V1 reader, so restore
 * ops stay. In both directions the non-sharded save op is switched ({@code SaveSlices} and {@code SaveV2} take the
 * same inputs), and {@code SaverDef.version} is set. Sharded save subgraphs (ShardedFilename, MergeV2Checkpoints)
 * are left as they are: they only matter when saving again, and then still write the old format.
 */
public final class SaverRewriter {
  private SaverRewriter() {}

  public static MetaGraphDef forFormat(MetaGraphDef meta, SaverDef.CheckpointFormatVersion target) {
    GraphDef graph = meta.getGraphDef();
    Map<String, NodeDef> byName = new HashMap<>();
    graph.getNodeList().forEach(n -> byName.put(n.getName(), n));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (target == SaverDef.CheckpointFormatVersion.V2) {
        switch (node.getOp()) {
          case "RestoreSlice":
            addRestoreV2(out, node, byName, node.getInput(2));
            continue;
          case "Restore":
            addRestoreV2(out, node, byName, null);
            continue;
          case "SaveSlices":
            if (isSharded(node, byName)) {
              break;
            }
            out.addNode(renameListAttr(node.toBuilder().setOp("SaveV2"), "T", "dtypes"));
            continue;
          case "Save":
            addSaveV2FromSave(out, node);
            continue;
          default:
            break;
        }
      } else if (node.getOp().equals("SaveV2") && !isSharded(node, byName)) {
        out.addNode(renameListAttr(node.toBuilder().setOp("SaveSlices"), "dtypes", "T"));
        continue;
      }
      out.addNode(node);
    }
    MetaGraphDef.Builder m = meta.toBuilder().setGraphDef(out);
    if (meta.hasSaverDef()) {
      m.setSaverDef(meta.getSaverDef().toBuilder().setVersion(target));
    }
    return m.build();
  }

  private static boolean isSharded(NodeDef save, Map<String, NodeDef> byName) {
    NodeDef prefix = byName.get(inputNode(save.getInput(0)));
    return prefix != null && prefix.getOp().equals("ShardedFilename");
  }

  private static String inputNode(String input) {
    String n = input.startsWith("^") ? input.substring(1) : input;
    int colon = n.indexOf(':');
    return colon < 0 ? n : n.substring(0, colon);
  }

  private static NodeDef renameListAttr(NodeDef.Builder node, String from, String to) {
    AttrValue v = node.getAttrOrThrow(from);
    node.removeAttr(from);
    node.putAttr(to, v);
    return node.build();
  }

  /** The prefix RestoreV2 needs: a V1 shard pattern ({@code ShardedFilespec}) is replaced by its basename. */
  private static String prefixInput(String filePattern, Map<String, NodeDef> byName) {
    NodeDef producer = byName.get(inputNode(filePattern));
    if (producer != null && producer.getOp().equals("ShardedFilespec")) {
      return producer.getInput(0);
    }
    return filePattern;
  }

  private static void addRestoreV2(GraphDef.Builder out, NodeDef node, Map<String, NodeDef> byName, String specInput) {
    String base = node.getName();
    String names = base + "/tfgw_tensor_names";
    String specs = base + "/tfgw_shape_and_slices";
    out.addNode(pack(names, node.getInput(1), node.getDevice()));
    if (specInput != null) {
      out.addNode(pack(specs, specInput, node.getDevice()));
    } else {
      out.addNode(stringVector(specs, 1, node.getDevice()));
    }
    DataType dt = node.getAttrOrThrow("dt").getType();
    NodeDef.Builder restore = NodeDef.newBuilder().setName(base).setOp("RestoreV2").setDevice(node.getDevice())
        .addInput(prefixInput(node.getInput(0), byName)).addInput(names).addInput(specs)
        .putAttr("dtypes", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addType(dt)).build());
    for (int i = 3; i < node.getInputCount(); i++) {
      restore.addInput(node.getInput(i)); // control inputs
    }
    out.addNode(restore);
  }

  private static void addSaveV2FromSave(GraphDef.Builder out, NodeDef save) {
    int n = save.getAttrOrThrow("T").getList().getTypeCount();
    String specs = save.getName() + "/tfgw_shape_and_slices";
    out.addNode(stringVector(specs, n, save.getDevice()));
    NodeDef.Builder b = save.toBuilder().setOp("SaveV2").clearInput()
        .addInput(save.getInput(0)).addInput(save.getInput(1)).addInput(specs);
    for (int i = 2; i < save.getInputCount(); i++) {
      b.addInput(save.getInput(i));
    }
    out.addNode(renameListAttr(b, "T", "dtypes"));
  }

  private static NodeDef pack(String name, String input, String device) {
    return NodeDef.newBuilder().setName(name).setOp("Pack").setDevice(device).addInput(input)
        .putAttr("N", AttrValue.newBuilder().setI(1).build())
        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_STRING).build())
        .putAttr("axis", AttrValue.newBuilder().setI(0).build())
        .build();
  }

  /** A Const holding {@code n} empty strings: the "whole tensor" shape-and-slice specs. */
  private static NodeDef stringVector(String name, int n, String device) {
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(n)));
    for (int i = 0; i < n; i++) {
      t.addStringVal(ByteString.EMPTY);
    }
    return NodeDef.newBuilder().setName(name).setOp("Const").setDevice(device)
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_STRING).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build())
        .build();
  }
}
