package io.tfgw.converters.graph;

import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorProto;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which checkpoint tensor each variable of a TF1 graph is restored from, read off the graph's saver: every
 * {@code Assign}/{@code AssignVariableOp} whose value comes (through Identity ops) from a {@code RestoreV2},
 * {@code RestoreSlice} or {@code Restore} op names its variable and, in the restore op's constant inputs, the
 * checkpoint tensor name and slice. A {@code Saver({"new_name": var})} or a partitioned variable is therefore
 * mapped right; variables without a saver entry are looked up under their node name.
 */
public final class SaverVariables {
  /** Ops that hold a variable's state. */
  public static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");

  private SaverVariables() {}

  public static Map<String, CheckpointKey> of(GraphDef graph) {
    GraphIndex index = new GraphIndex(graph);
    Map<String, CheckpointKey> out = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      if (!(n.getOp().equals("Assign") || n.getOp().equals("AssignVariableOp")) || n.getInputCount() < 2) {
        continue;
      }
      String variable = TensorRef.parse(n.getInput(0)).node();
      TensorRef value = index.throughIdentities(TensorRef.parse(n.getInput(1)));
      NodeDef restore = index.node(value.node());
      if (restore == null) {
        continue;
      }
      CheckpointKey key = switch (restore.getOp()) {
        case "RestoreV2" -> new CheckpointKey(stringAt(index, restore.getInput(1), value.index()),
            stringAt(index, restore.getInput(2), value.index()));
        case "RestoreSlice" -> new CheckpointKey(stringAt(index, restore.getInput(1), 0),
            stringAt(index, restore.getInput(2), 0));
        case "Restore" -> new CheckpointKey(stringAt(index, restore.getInput(1), 0), "");
        default -> null;
      };
      if (key != null && key.tensor() != null && key.shapeAndSlice() != null) {
        out.put(variable, key);
      }
    }
    return out;
  }

  /** Element i of a string Const feeding an input; null when it is not a constant. */
  private static String stringAt(GraphIndex index, String input, int i) {
    NodeDef c = index.node(index.throughIdentities(TensorRef.parse(input)).node());
    if (c == null || !c.getOp().equals("Const")) {
      return null;
    }
    AttrValue v = c.getAttrMap().get("value");
    if (v == null || !v.hasTensor()) {
      return null;
    }
    TensorProto t = v.getTensor();
    if (t.getStringValCount() == 0) {
      return "";
    }
    return t.getStringVal(Math.min(i, t.getStringValCount() - 1)).toString(StandardCharsets.UTF_8);
  }

  /** The checkpoint key of a variable node: from the saver when it names one, else the node name. */
  public static CheckpointKey keyOf(String variableNode, Map<String, CheckpointKey> saver) {
    return saver.getOrDefault(variableNode, new CheckpointKey(variableNode, ""));
  }
}
