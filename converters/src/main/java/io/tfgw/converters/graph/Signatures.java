package io.tfgw.converters.graph;

import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import io.tfgw.proto.TensorShapeProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@code serving_default}-style SignatureDef for a TF1 graph from input and output tensor names, as
 * {@code simple_save} does. Inputs default to the Placeholders the outputs need. dtypes and shapes come from node
 * attributes where the op states them ({@code dtype}, {@code T}, {@code DstT}, {@code out_type}, ...).
 */
public final class Signatures {
  public static final String PREDICT = "tensorflow/serving/predict";

  private Signatures() {}

  public static SignatureDef predict(GraphIndex graph, List<String> inputs, List<String> outputs) {
    List<String> ins = inputs.isEmpty() ? placeholdersNeeded(graph, outputs) : inputs;
    SignatureDef.Builder sig = SignatureDef.newBuilder().setMethodName(PREDICT);
    for (String in : ins) {
      TensorRef ref = TensorRef.parse(in);
      sig.putInputs(key(ref), info(graph, ref, "named by --inputs"));
    }
    for (String out : outputs) {
      TensorRef ref = TensorRef.parse(out);
      sig.putOutputs(key(ref), info(graph, ref, "named by --outputs"));
    }
    return sig.build();
  }

  /** The Placeholders the outputs depend on, in graph order. */
  public static List<String> placeholdersNeeded(GraphIndex graph, List<String> outputs) {
    List<String> roots = outputs.stream().map(o -> TensorRef.parse(o).node()).toList();
    List<String> out = new ArrayList<>();
    for (String n : graph.needed(roots)) {
      if (graph.node(n).getOp().equals("Placeholder")) {
        out.add(n + ":0");
      }
    }
    return out;
  }

  private static String key(TensorRef ref) {
    return ref.index() == 0 ? ref.node() : ref.node() + "_" + ref.index();
  }

  private static final List<String> DTYPE_ATTRS = List.of("dtype", "T", "DstT", "out_type", "output_type", "Tout", "type");

  private static TensorInfo info(GraphIndex graph, TensorRef ref, String what) {
    NodeDef n = graph.require(ref.node(), what);
    TensorInfo.Builder t = TensorInfo.newBuilder().setName(ref.tensorName());
    DataType dtype = DataType.DT_INVALID;
    for (String a : DTYPE_ATTRS) {
      AttrValue v = n.getAttrMap().get(a);
      if (v != null && v.hasType()) {
        dtype = v.getType();
        break;
      }
    }
    t.setDtype(dtype); // DT_INVALID when the op does not say; TF loads such signatures, it only lacks the hint
    AttrValue shape = n.getOp().equals("Placeholder") ? n.getAttrMap().get("shape") : null;
    t.setTensorShape(shape != null && shape.hasShape() ? shape.getShape()
        : TensorShapeProto.newBuilder().setUnknownRank(true).build());
    return t.build();
  }
}
