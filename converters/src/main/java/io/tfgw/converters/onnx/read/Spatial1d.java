package io.tfgw.converters.onnx.read;

import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.proto.onnx.GraphProto;
import io.tfgw.proto.onnx.NodeProto;
import io.tfgw.proto.onnx.TensorProto;
import io.tfgw.proto.onnx.TensorShapeProto;
import io.tfgw.proto.onnx.TypeProto;
import io.tfgw.proto.onnx.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * 1-D convolutions, transposed convolutions and pooling (NCW) as the 2-D ones the reader maps, rewritten in the ONNX graph before it is
 * imported: the input gets a height of 1 (Unsqueeze at axis 2), the weight a kernel height of 1 (an initializer is
 * re-declared with the extra dimension, which leaves its row-major data as it is), every per-axis attribute a
 * leading 1 or 0, and the output loses the height again (Squeeze). TF has only 2-D kernels; this is how TF's own
 * conv1d runs.
 */
final class Spatial1d {
  private Spatial1d() {}

  static GraphProto lift(GraphProto graph, long opset) {
    Map<String, TensorProto> initializers = new HashMap<>();
    graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    Map<String, ValueInfoProto> declared = new HashMap<>();
    graph.getValueInfoList().forEach(v -> declared.put(v.getName(), v));
    graph.getInputList().forEach(v -> declared.put(v.getName(), v));
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
    names.addAll(initializers.keySet());
    names.addAll(declared.keySet());
    GraphProto.Builder out = graph.toBuilder().clearNode();
    boolean changed = false;
    for (NodeProto n : graph.getNodeList()) {
      if (!isOneD(n, initializers, declared)) {
        out.addNode(n);
        continue;
      }
      changed = true;
      String x2 = fresh(names, n.getInput(0) + "/as_2d");
      out.addNode(unsqueeze(n.getInput(0), x2, opset, out, names));
      ValueInfoProto xInfo = declared.get(n.getInput(0));
      if (xInfo != null && xInfo.getType().getTensorType().hasShape()) {
        out.addValueInfo(withHeight(xInfo, x2));
      }
      NodeProto.Builder lifted = n.toBuilder().setInput(0, x2);
      if (n.getOpType().startsWith("Conv")) {
        String w = n.getInput(1);
        String w2 = fresh(names, w + "/as_2d");
        TensorProto init = initializers.get(w);
        if (init != null) {
          TensorProto.Builder t = init.toBuilder().setName(w2).clearDims();
          t.addDims(init.getDims(0)).addDims(init.getDims(1)).addDims(1).addDims(init.getDims(2));
          out.addInitializer(t);
        } else {
          out.addNode(unsqueeze(w, w2, opset, out, names));
          ValueInfoProto wInfo = declared.get(w);
          if (wInfo != null && wInfo.getType().getTensorType().hasShape()) {
            out.addValueInfo(withHeight(wInfo, w2));
          }
        }
        lifted.setInput(1, w2);
      }
      lifted.clearAttribute();
      for (AttributeProto a : n.getAttributeList()) {
        AttributeProto.Builder b = a.toBuilder();
        switch (a.getName()) {
          case "kernel_shape", "strides", "dilations" -> b.clearInts().addInts(1).addAllInts(a.getIntsList());
          case "output_padding" -> b.clearInts().addInts(0).addAllInts(a.getIntsList());
          case "pads" -> b.clearInts().addInts(0).addInts(a.getInts(0)).addInts(0).addInts(a.getInts(1));
          default -> { }
        }
        lifted.addAttribute(b);
      }
      String y = n.getOutput(0);
      String y2 = fresh(names, y + "/as_2d");
      lifted.setOutput(0, y2);
      out.addNode(lifted);
      out.addNode(squeeze(y2, y, opset, out, names));
    }
    return changed ? out.build() : graph;
  }

  /** Conv, MaxPool or AveragePool over one spatial axis: a kernel_shape of one, or a Conv weight of rank 3. */
  private static boolean isOneD(NodeProto n, Map<String, TensorProto> initializers,
      Map<String, ValueInfoProto> declared) {
    String op = n.getOpType();
    if (!op.equals("Conv") && !op.equals("ConvTranspose") && !op.equals("MaxPool") && !op.equals("AveragePool")
        || n.getInputCount() < 1 || n.getOutputCount() < 1) {
      return false;
    }
    // every per-axis attribute must be a 1-D one, else the node is left for the 2-D mapping to refuse
    Boolean oneD = null;
    for (AttributeProto a : n.getAttributeList()) {
      int expected = switch (a.getName()) {
        case "kernel_shape", "strides", "dilations", "output_padding" -> 1;
        case "pads" -> 2;
        default -> -1;
      };
      if (expected > 0 && a.getIntsCount() != expected) {
        return false;
      }
      if (a.getName().equals("kernel_shape")) {
        oneD = true;
      }
    }
    if (!op.startsWith("Conv")) {
      return oneD != null;
    }
    if (n.getInputCount() < 2) {
      return false;
    }
    TensorProto w = initializers.get(n.getInput(1));
    if (w != null) {
      return w.getDimsCount() == 3;
    }
    ValueInfoProto v = declared.get(n.getInput(1));
    return v != null && v.getType().getTensorType().hasShape()
        && v.getType().getTensorType().getShape().getDimCount() == 3;
  }

  private static NodeProto unsqueeze(String in, String out, long opset, GraphProto.Builder graph, Set<String> names) {
    return axesNode("Unsqueeze", in, out, opset, graph, names);
  }

  private static NodeProto squeeze(String in, String out, long opset, GraphProto.Builder graph, Set<String> names) {
    return axesNode("Squeeze", in, out, opset, graph, names);
  }

  /** Unsqueeze/Squeeze at axis 2: the axes an attribute before opset 13, an initializer from 13 on. */
  private static NodeProto axesNode(String op, String in, String out, long opset, GraphProto.Builder graph,
      Set<String> names) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addInput(in).addOutput(out);
    if (opset < 13) {
      n.addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS)
          .addInts(2));
    } else {
      String axes = fresh(names, out + "/axes");
      graph.addInitializer(TensorProto.newBuilder().setName(axes).setDataType(TensorProto.DataType.INT64_VALUE)
          .addDims(1).addInt64Data(2));
      n.addInput(axes);
    }
    return n.build();
  }

  /** The value's declared shape with a dimension of 1 inserted at axis 2, under a new name. */
  private static ValueInfoProto withHeight(ValueInfoProto v, String name) {
    TensorShapeProto s = v.getType().getTensorType().getShape();
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    List<TensorShapeProto.Dimension> dims = s.getDimList();
    for (int k = 0; k < dims.size(); k++) {
      if (k == 2) {
        b.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1));
      }
      b.addDim(dims.get(k));
    }
    TypeProto.Builder type = v.getType().toBuilder();
    type.getTensorTypeBuilder().setShape(b);
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  private static String fresh(Set<String> names, String base) {
    String name = base;
    for (int k = 1; names.contains(name); k++) {
      name = base + "_" + k;
    }
    names.add(name);
    return name;
  }
}
