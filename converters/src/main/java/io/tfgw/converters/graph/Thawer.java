package io.tfgw.converters.graph;

import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SaverDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inverse of freezing, for {@code --thaw}: every float Const of at least {@code minBytes} becomes a
 * {@code VariableV2} of the same name (its consumers read the ref), its value goes to the checkpoint under that
 * name, and a saver is added to restore them. Weights then live in {@code variables/} instead of the graph.
 */
public final class Thawer {
  /** The graph with variables and saver, its SaverDef, and the values to store. */
  public record Thawed(GraphDef graph, SaverDef saver, Map<String, InMemoryTensorData> values) {}

  private Thawer() {}

  public static Thawed thaw(GraphDef frozen, long minBytes) {
    return thaw(frozen, n -> true, minBytes);
  }

  /** As above, thawing only the Consts {@code which} accepts (an ONNX graph's initializers, not its attributes). */
  public static Thawed thaw(GraphDef frozen, java.util.function.Predicate<NodeDef> which, long minBytes) {
    GraphDef.Builder g = frozen.toBuilder().clearNode();
    Map<String, InMemoryTensorData> values = new LinkedHashMap<>();
    List<SaverBuilder.Variable> vars = new ArrayList<>();
    for (NodeDef n : frozen.getNodeList()) {
      if (n.getOp().equals("Const") && n.getAttrMap().containsKey("value") && which.test(n)) {
        InMemoryTensorData v = TensorProtos.toTensorData(n.getAttrOrThrow("value").getTensor(), "Const " + n.getName());
        if (v.dtype().isFloating() && v.canonicalLength() >= minBytes) {
          values.put(n.getName(), v);
          vars.add(new SaverBuilder.Variable(n.getName(), n.getName(), v.dtype(), false));
          g.addNode(NodeDef.newBuilder().setName(n.getName()).setOp("VariableV2").setDevice(n.getDevice())
              .putAttr("dtype", n.getAttrOrThrow("dtype"))
              .putAttr("shape", AttrValue.newBuilder().setShape(TensorProtos.shapeProto(v.shape())).build())
              .putAttr("container", AttrValue.newBuilder().setS(com.google.protobuf.ByteString.EMPTY).build())
              .putAttr("shared_name", AttrValue.newBuilder().setS(com.google.protobuf.ByteString.EMPTY).build()));
          continue;
        }
      }
      g.addNode(n);
    }
    SaverDef.Builder saver = SaverDef.newBuilder();
    GraphDef withSaver = vars.isEmpty() ? g.build() : SaverBuilder.addRestore(g.build(), vars, uniqueScope(frozen), saver);
    return new Thawed(withSaver, vars.isEmpty() ? null : saver.build(), values);
  }

  private static String uniqueScope(GraphDef graph) {
    String scope = "save";
    int i = 0;
    GraphIndex index = new GraphIndex(graph);
    while (index.has(scope + "/Const") || index.has(scope + "/restore_all")) {
      scope = "save_" + ++i;
    }
    return scope;
  }
}
