package io.tfgw.converters.onnx.read;

import io.tfgw.converters.model.TensorSpec;
import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.proto.onnx.GraphProto;
import io.tfgw.proto.onnx.NodeProto;
import io.tfgw.proto.onnx.TensorProto;
import io.tfgw.proto.onnx.TensorShapeProto;
import io.tfgw.proto.onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph as a TF GraphDef of runtime ops: graph inputs become Placeholders, initializers Consts, each node
 * its TF ops ({@link OnnxOps}), each graph output an Identity named after it. Every node is checked for a mapping
 * before anything is built, so an unmapped op fails naming every such op and node.
 */
public final class OnnxImporter {
  /**
   * The sentence a refusal to read ends with: true for {@code run} and {@code convert} of an ONNX file, and removed
   * by {@code convert --to onnx --verify}, whose ONNX file was written before it is read back.
   */
  public static final String NOTHING_RUN = " Nothing was run or written.";

  /**
   * The imported graph.
   *
   * @param inputs graph inputs by ONNX name, as TF tensors (Placeholders)
   * @param outputs graph outputs by ONNX name, as TF tensors (Identities)
   * @param initializers the Const nodes that hold the ONNX initializers (they become variables in a SavedModel)
   */
  public record Imported(GraphDef graph, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs,
      Set<String> initializers) {}

  private OnnxImporter() {}

  public static Imported importModel(OnnxFile file) {
    long opset = file.opset();
    GraphProto graph = Spatial1d.lift(file.model().getGraph(), opset);
    checkMappable(file, graph);
    TfGraphBuilder g = new TfGraphBuilder();
    Map<String, Value> values = new HashMap<>();
    Map<String, long[]> declared = new HashMap<>();
    for (ValueInfoProto v : graph.getValueInfoList()) {
      long[] dims = dims(v);
      if (dims != null) {
        declared.put(v.getName(), dims);
      }
    }
    Set<String> initializerNames = new HashSet<>();
    for (TensorProto t : graph.getInitializerList()) {
      initializerNames.add(t.getName());
    }
    Map<String, TensorSpec> inputs = new LinkedHashMap<>();
    for (ValueInfoProto in : graph.getInputList()) {
      if (initializerNames.contains(in.getName())) {
        continue; // IR < 4 lists initializers as inputs too; they are the constants below
      }
      DType dtype = elemType(in);
      long[] dims = dims(in);
      if (dims != null) {
        declared.put(in.getName(), dims);
      }
      String name = g.reserveTensor(in.getName());
      g.addReserved(g.node(name, "Placeholder").putAttr("dtype", TfGraphBuilder.type(dtype))
          .putAttr("shape", TfGraphBuilder.shape(dims)));
      values.put(in.getName(), new Value(name, dtype, dims == null ? -1 : dims.length));
      inputs.put(in.getName(), new TensorSpec(name + ":0", dtype, dims));
    }
    Map<String, String> outputNodes = new LinkedHashMap<>();
    for (ValueInfoProto out : graph.getOutputList()) {
      outputNodes.put(out.getName(), g.reserveTensor(out.getName()));
    }
    Set<String> initializers = new LinkedHashSet<>();
    for (TensorProto t : graph.getInitializerList()) {
      Tensor value = Tensor.fromData(file.tensor(t, "initializer '" + t.getName() + "'"));
      String node = g.constant(t.getName(), value);
      initializers.add(node);
      values.put(t.getName(), new Value(node, value.dtype(), value.rank()));
    }
    importNodes(graph.getNodeList(), opset, g, values, file, declared);
    Map<String, TensorSpec> outputs = new LinkedHashMap<>();
    for (ValueInfoProto out : graph.getOutputList()) {
      Value v = values.get(out.getName());
      if (v == null) {
        throw new CorruptInputException("The ONNX graph's output '" + out.getName() + "' is computed by no node");
      }
      if (v.dtype() == DType.VARIANT) {
        // a TensorList leaves the runtime only as tensors: no output format tfgw writes holds one
        throw new UnsupportedInputException("ONNX graph output '" + out.getName() + "' is a sequence; tfgw reads "
            + "sequences inside a graph but outputs only tensors (end the graph with ConcatFromSequence or SequenceAt)");
      }
      String name = outputNodes.get(out.getName());
      g.addReserved(g.node(name, "Identity", v.ref()).putAttr("T", TfGraphBuilder.type(v.dtype())));
      outputs.put(out.getName(), new TensorSpec(name + ":0", v.dtype(), dims(out)));
    }
    return new Imported(g.build(), inputs, outputs, initializers);
  }

  /**
   * Maps nodes in order onto TF ops in {@code g}, each output bound in {@code values} (Loop and If through
   * {@link ControlFlowImport}, which maps their subgraphs the same way).
   */
  static void importNodes(List<NodeProto> nodes, long opset, TfGraphBuilder g, Map<String, Value> values, OnnxFile file,
      Map<String, long[]> declared) {
    for (NodeProto n : nodes) {
      NodeContext c = new NodeContext(n, opset, g, values, file, declared);
      List<Value> outs = ControlFlowImport.OPS.contains(n.getOpType()) ? ControlFlowImport.map(c) : OnnxOps.map(c);
      for (int k = 0; k < n.getOutputCount(); k++) {
        if (n.getOutput(k).isEmpty()) {
          continue;
        }
        if (k >= outs.size() || outs.get(k) == null) {
          throw new UnsupportedInputException(c.where() + ": output " + k + " ('" + n.getOutput(k)
              + "') is not mapped");
        }
        Value v = outs.get(k);
        long[] d = declared.get(n.getOutput(k));
        values.put(n.getOutput(k), v.rank() < 0 && d != null ? v.withRank(d.length) : v);
      }
    }
  }

  /** Fails naming every node whose op has no mapping (other domains, ops outside the table, subgraphs). */
  private static void checkMappable(OnnxFile file, GraphProto graph) {
    List<String> unmapped = new ArrayList<>();
    Set<String> ops = new LinkedHashSet<>();
    collectUnmapped(graph, unmapped, ops);
    if (!unmapped.isEmpty()) {
      throw new UnsupportedInputException(file.location() + ": " + unmapped.size() + " ONNX node(s) have no mapping "
          + "to tfgw's runtime ops: " + String.join("; ", unmapped) + "." + NOTHING_RUN + " Unmapped op types: " + String.join(", ", ops)
          + " (see README, ONNX: reading, for the ops that map)");
    }
  }

  /** Unmapped nodes of a graph and of the Loop/If subgraphs in it (other subgraph attributes are unmapped). */
  private static void collectUnmapped(GraphProto graph, List<String> unmapped, Set<String> ops) {
    for (NodeProto n : graph.getNodeList()) {
      boolean defaultDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
      boolean controlFlow = defaultDomain && ControlFlowImport.OPS.contains(n.getOpType());
      boolean otherSubgraph = false;
      for (AttributeProto a : n.getAttributeList()) {
        if (controlFlow && a.hasG()) {
          collectUnmapped(a.getG(), unmapped, ops);
        } else {
          otherSubgraph |= a.hasG() || a.getGraphsCount() > 0;
        }
      }
      if (!defaultDomain || otherSubgraph || !(controlFlow || OnnxOps.SUPPORTED.contains(n.getOpType()))) {
        String op = (defaultDomain ? "" : n.getDomain() + ".") + n.getOpType();
        ops.add(op);
        unmapped.add(op + " (node '" + (n.getName().isEmpty() ? String.join(",", n.getOutputList()) : n.getName())
            + "')");
      }
    }
  }

  private static DType elemType(ValueInfoProto v) {
    if (!v.getType().hasTensorType()) {
      throw new UnsupportedInputException("ONNX graph input '" + v.getName() + "' is not a tensor (sequences, maps "
          + "and optionals are not supported)");
    }
    return OnnxFile.dtype(v.getType().getTensorType().getElemType(), "graph input '" + v.getName() + "'");
  }

  /** Declared dims, -1 for symbolic or missing dimensions; null without a shape. */
  static long[] dims(ValueInfoProto v) {
    if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
      return null;
    }
    TensorShapeProto s = v.getType().getTensorType().getShape();
    long[] dims = new long[s.getDimCount()];
    for (int k = 0; k < dims.length; k++) {
      dims[k] = s.getDim(k).hasDimValue() && s.getDim(k).getDimValue() >= 0 ? s.getDim(k).getDimValue() : -1;
    }
    return dims;
  }
}
