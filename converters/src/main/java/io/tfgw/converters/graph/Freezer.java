package io.tfgw.converters.graph;

import com.google.protobuf.CodedOutputStream;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.FunctionDefLibrary;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Freezes a TF1 graph with its checkpoint into one GraphDef, as {@code convert_variables_to_constants} does: the
 * graph is cut to what the outputs need, every variable becomes a Const holding its checkpoint value (ref variables
 * directly; for resource variables the handle becomes the Const and each {@code ReadVariableOp} an Identity),
 * device placements and colocation hints are dropped, and only the functions still called are kept.
 *
 * <p>The result is written node by node, so memory holds one tensor at a time; a result over protobuf's 2 GiB limit
 * is refused before anything is written.
 */
public final class Freezer {
  /** protobuf cannot parse a message of 2 GiB or more; keep a margin for the framing. */
  static final long MAX_GRAPH_BYTES = Integer.MAX_VALUE - (1L << 20);

  private static final Set<String> STATEFUL_UPDATES = Set.of("Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
      "AssignAddVariableOp", "AssignSubVariableOp", "ScatterUpdate", "ScatterAdd", "ResourceScatterUpdate",
      "ApplyGradientDescent", "ApplyAdam", "ResourceApplyAdam", "ResourceApplyGradientDescent");

  private final GraphDef graph;
  private final CheckpointReader checkpoint;
  private final Map<String, CheckpointKey> saver;
  private final GraphIndex index;

  private Map<String, io.tfgw.runtime.LookupTable> tables = Map.of();

  /**
   * What freezing produced.
   *
   * @param tablesFolded lookup tables written with their contents, filled by {@code init_all_tables}
   */
  public record Result(int nodes, int variablesFrozen, long bytes, int tablesFolded) {}

  public Freezer(GraphDef graph, CheckpointReader checkpoint) {
    this.graph = graph;
    this.checkpoint = checkpoint;
    this.saver = SaverVariables.of(graph);
    this.index = new GraphIndex(graph);
  }

  /**
   * The contents of the lookup tables the outputs may use, by table node name ({@link LookupTables#contents}); a
   * needed table is written with them (see {@link LookupTables}).
   */
  public Freezer withTables(Map<String, io.tfgw.runtime.LookupTable> contents) {
    this.tables = Map.copyOf(contents);
    return this;
  }

  /** Output names as users write them ({@code y}, {@code y:0}) to node names, checked against the graph. */
  public List<String> outputNodes(List<String> outputs) {
    List<String> nodes = new ArrayList<>();
    for (String o : outputs) {
      String node = TensorRef.parse(o).node();
      index.require(node, "named by --outputs");
      nodes.add(node);
    }
    return nodes;
  }

  public Result freeze(List<String> outputs, OutputFile destination) {
    return freeze(outputs, List.of(), destination);
  }

  /**
   * Freezes the graph cut to {@code outputs}, also keeping the {@code inputs} nodes (a signature's Placeholders)
   * even when no output depends on them, so clients that feed every input by name still can.
   */
  public Result freeze(List<String> outputs, List<String> inputs, OutputFile destination) {
    List<String> roots = new ArrayList<>(outputNodes(outputs));
    for (String in : inputs) {
      String node = TensorRef.parse(in).node();
      index.require(node, "a signature input");
      roots.add(node);
    }
    Set<String> needed = index.needed(roots);
    List<NodeDef> kept = new ArrayList<>();
    List<String> variables = new ArrayList<>();
    long bytes = 0;
    for (String name : needed) {
      NodeDef n = index.node(name);
      if (STATEFUL_UPDATES.contains(n.getOp())) {
        throw new UnsupportedInputException("The outputs " + outputs + " depend on node '" + name + "' (" + n.getOp()
            + "), which updates a variable; a frozen graph cannot do that. Choose outputs of the inference part");
      }
      if (SaverVariables.VARIABLE_OPS.contains(n.getOp())) {
        variables.add(name);
        TensorInfo info = checkpointTensor(name);
        bytes += info.dtype().isFixedSize() ? info.shape().byteSize(info.dtype()) : 0;
      }
      if (n.getOp().equals("ResourceGather")) {
        NodeDef axis = gatherAxis(n);
        if (index.has(axis.getName())) {
          throw new UnsupportedInputException("Node '" + name + "' (ResourceGather) becomes a GatherV2 whose axis "
              + "needs the name '" + axis.getName() + "', which the graph already uses");
        }
        kept.add(axis);
      }
      NodeDef cleaned = clean(n);
      kept.add(cleaned);
      bytes += cleaned.getSerializedSize() + 16;
    }
    int before = kept.size();
    int folded = LookupTables.fold(index, needed, kept, tables);
    for (int i = before; i < kept.size(); i++) {
      bytes += kept.get(i).getSerializedSize() + 16;
    }
    FunctionDefLibrary library = FunctionRefs.prune(graph.getLibrary(), kept);
    bytes += library.getSerializedSize() + graph.getVersions().getSerializedSize() + 16;
    if (bytes > MAX_GRAPH_BYTES) {
      throw new UnsupportedInputException("The frozen graph would be about " + (bytes >> 20) + " MiB, over protobuf's "
          + "2 GiB limit for one GraphDef, which TensorFlow cannot load. Convert to a SavedModel instead "
          + "(--to savedmodel), which keeps the weights in variables/.");
    }
    long written;
    try (AtomicOutputStream out = destination.create()) {
      CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
      for (NodeDef n : kept) {
        NodeDef source = index.node(n.getName());
        NodeDef node = source != null && SaverVariables.VARIABLE_OPS.contains(source.getOp()) ? frozen(n) : n;
        coded.writeMessage(GraphDef.NODE_FIELD_NUMBER, node);
      }
      if (library.getFunctionCount() > 0) {
        coded.writeMessage(GraphDef.LIBRARY_FIELD_NUMBER, library);
      }
      if (graph.hasVersions()) {
        coded.writeMessage(GraphDef.VERSIONS_FIELD_NUMBER, graph.getVersions());
      }
      coded.flush();
      written = out.position();
      out.commit();
    } catch (IOException e) {
      throw new io.tfgw.core.storage.StorageException("Cannot write " + destination.location() + ": " + e.getMessage(), e);
    }
    return new Result(kept.size(), variables.size(), written, folded);
  }

  /**
   * The frozen graph without its variable values: variables are Const nodes carrying only {@code dtype} and
   * {@code _tfgw_shape} (the checkpoint tensor's dimensions), and their values are read from the checkpoint only
   * when asked, one at a time. For exporters that stream weights out (ONNX) instead of holding them all.
   */
  public record Lazy(GraphDef graph, Map<String, java.util.function.Supplier<TensorData>> variables) {}

  public Lazy lazy(List<String> outputs) {
    Set<String> needed = index.needed(outputNodes(outputs));
    GraphDef.Builder out = GraphDef.newBuilder();
    Map<String, java.util.function.Supplier<TensorData>> values = new java.util.LinkedHashMap<>();
    for (String name : needed) {
      NodeDef n = index.node(name);
      if (STATEFUL_UPDATES.contains(n.getOp())) {
        throw new UnsupportedInputException("The outputs " + outputs + " depend on node '" + name + "' (" + n.getOp()
            + "), which updates a variable; an exported graph cannot do that. Choose outputs of the inference part");
      }
      if (SaverVariables.VARIABLE_OPS.contains(n.getOp())) {
        TensorInfo info = checkpointTensor(name);
        DataType declared = n.getAttrOrThrow("dtype").getType();
        int base = declared.getNumber() > 100 ? declared.getNumber() - 100 : declared.getNumber();
        io.tfgw.proto.TensorShapeProto.Builder shape = io.tfgw.proto.TensorShapeProto.newBuilder();
        for (long d : info.shape().dims()) {
          shape.addDim(io.tfgw.proto.TensorShapeProto.Dim.newBuilder().setSize(d));
        }
        out.addNode(NodeDef.newBuilder().setName(name).setOp("Const")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.forNumber(base)).build())
            .putAttr(LAZY_SHAPE_ATTR, AttrValue.newBuilder().setShape(shape).build()));
        values.put(name, () -> valueOf(name));
      } else {
        out.addNode(clean(n));
      }
    }
    out.setLibrary(FunctionRefs.prune(graph.getLibrary(), out.getNodeList()));
    if (graph.hasVersions()) {
      out.setVersions(graph.getVersions());
    }
    return new Lazy(out.build(), values);
  }

  /** The attribute of a {@link #lazy} variable Const holding its shape (the value is not in the graph). */
  public static final String LAZY_SHAPE_ATTR = "_tfgw_shape";

  /**
   * A node as the frozen graph has it: no device, no colocation hints; ReadVariableOp becomes Identity and
   * ResourceGather a GatherV2 over the variable's Const, as TF's {@code convert_variables_to_constants} rewrites them.
   */
  private static NodeDef clean(NodeDef n) {
    NodeDef.Builder b = n.toBuilder().clearDevice().removeAttr("_class");
    if (n.getOp().equals("ReadVariableOp")) {
      AttrValue dtype = n.getAttrOrThrow("dtype");
      b.setOp("Identity").removeAttr("dtype").putAttr("T", dtype);
    } else if (n.getOp().equals("ResourceGather")) {
      AttrValue indices = n.getAttrOrThrow("Tindices");
      b.setOp("GatherV2").clearAttr().clearInput().addInput(n.getInput(0)).addInput(n.getInput(1))
          .addInput(gatherAxis(n).getName());
      n.getInputList().stream().filter(i -> i.startsWith("^")).forEach(b::addInput);
      b.putAttr("Tparams", n.getAttrOrThrow("dtype")).putAttr("Tindices", indices).putAttr("Taxis", indices)
          .putAttr("batch_dims", AttrValue.newBuilder().setI(n.getAttrMap().containsKey("batch_dims")
              ? n.getAttrOrThrow("batch_dims").getI() : 0).build());
    }
    return b.build();
  }

  /** The axis input of the GatherV2 a ResourceGather becomes: its batch_dims, typed as its indices (as TF does). */
  private static NodeDef gatherAxis(NodeDef gather) {
    DataType type = gather.getAttrOrThrow("Tindices").getType();
    long batchDims = gather.getAttrMap().containsKey("batch_dims") ? gather.getAttrOrThrow("batch_dims").getI() : 0;
    DType dtype = DType.fromNumber(type.getNumber());
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(dtype.elementSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (dtype == DType.INT64) {
      bytes.putLong(batchDims);
    } else {
      bytes.putInt((int) batchDims);
    }
    return NodeDef.newBuilder().setName(gather.getName() + "/axis").setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(type).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProtos.withTensorContent(dtype,
            io.tfgw.core.tensor.Shape.scalar(), bytes.array())).build())
        .build();
  }

  private TensorInfo checkpointTensor(String variableNode) {
    CheckpointKey key = SaverVariables.keyOf(variableNode, saver);
    return checkpoint.tensor(key.tensor()).orElseThrow(() -> new WrongInputException("Variable '" + variableNode
        + "' is restored from checkpoint tensor '" + key.tensor() + "', which " + checkpoint.location()
        + " does not hold: is this the checkpoint written with this graph?"));
  }

  private TensorData valueOf(String variableNode) {
    CheckpointKey key = SaverVariables.keyOf(variableNode, saver);
    TensorInfo info = checkpointTensor(variableNode);
    if (!key.isSlice()) {
      return checkpoint.read(info.name());
    }
    String spec = key.shapeAndSlice();
    TensorSlice slice = TensorSlice.parse(spec.substring(spec.lastIndexOf(' ') + 1));
    if (info.isPartitioned() && info.slices().contains(slice)) {
      return checkpoint.readSlice(info.name(), slice);
    }
    throw new UnsupportedInputException("Variable '" + variableNode + "' is slice " + spec + " of '" + info.name()
        + "', but the checkpoint stores that tensor " + (info.isPartitioned() ? "in the slices " + info.sliceSpecs()
        : "whole") + "; re-partitioning is not supported");
  }

  /** The Const that replaces a variable node, holding its checkpoint value. */
  private NodeDef frozen(NodeDef variable) {
    TensorData value = valueOf(variable.getName());
    DataType declared = variable.getAttrOrThrow("dtype").getType();
    int base = declared.getNumber() > 100 ? declared.getNumber() - 100 : declared.getNumber();
    if (base != value.dtype().number()) {
      throw new WrongInputException("Variable '" + variable.getName() + "' is " + DType.fromNumber(base)
          + " in the graph but " + value.dtype() + " in the checkpoint");
    }
    byte[] canonical;
    try (InputStream in = value.open()) {
      canonical = in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    TensorProto tensor = TensorProtos.withTensorContent(value.dtype(), value.shape(), canonical);
    return NodeDef.newBuilder().setName(variable.getName()).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.forNumber(base)).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(tensor).build())
        .build();
  }
}
