package io.tfgw.converters.onnx.read;

import com.google.protobuf.ByteString;
import io.tfgw.runtime.Session;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorShapeProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends TF nodes with unique, valid names and remembers which tensors are computed from graph inputs (the rest
 * can be evaluated once, in tfgw's runtime, when a mapping needs a constant such as a Reshape's shape).
 */
final class TfGraphBuilder {
  /** A TF tensor the ONNX graph names: its reference ({@code node:i}), dtype and rank (-1 when unknown). */
  /**
   * A mapped ONNX value: a tensor, or (dtype VARIANT) an ONNX sequence held as a TF TensorList whose elements are
   * {@code elementType}.
   */
  record Value(String ref, DType dtype, int rank, DType elementType) {
    Value(String ref, DType dtype, int rank) {
      this(ref, dtype, rank, null);
    }

    Value withRank(int r) {
      return new Value(ref, dtype, r, elementType);
    }

    /** The same kind of value (tensor or sequence of the same element type) at another reference. */
    Value at(String otherRef, int otherRank) {
      return new Value(otherRef, dtype, otherRank, elementType);
    }
  }

  private final GraphDef.Builder graph = GraphDef.newBuilder();
  private final Set<String> names = new HashSet<>();
  private final Set<String> dynamic = new HashSet<>();
  private final Map<String, Tensor> constants = new HashMap<>();
  /** Library function names, shared with the builders of nested functions (all end up in one library). */
  private final Set<String> functionNames;

  TfGraphBuilder() {
    this(new HashSet<>());
  }

  private TfGraphBuilder(Set<String> functionNames) {
    this.functionNames = functionNames;
  }

  /** A builder for a function's body (a Loop body, an If branch): nodes of its own, function names shared. */
  TfGraphBuilder nested() {
    return new TfGraphBuilder(functionNames);
  }

  /** A library function name not used yet, derived from {@code base}. */
  String functionName(String base) {
    String name = sanitize(base).replace('/', '_');
    for (int i = 1; !functionNames.add(name); i++) {
      name = sanitize(base).replace('/', '_') + "_" + i;
    }
    return name;
  }

  GraphDef build() {
    return graph.build();
  }

  /** Adds a function (a Loop body, an If branch) to the graph's library. */
  void addFunction(io.tfgw.proto.FunctionDef f) {
    graph.getLibraryBuilder().addFunction(f);
  }

  /** Reserves a name (graph inputs and outputs are named first, so they keep their ONNX names). */
  String reserve(String base) {
    String name = unique(sanitize(base));
    names.add(name);
    return name;
  }

  /**
   * Reserves the node name for a graph input or output: an ONNX name that is a TF tensor name of output 0 ({@code
   * x:0}, as tfgw's exporter and tf2onnx name values after the source graph's tensors) names the node {@code x}, so
   * the imported graph's tensor is {@code x:0} again and the ONNX model can be fed and compared by the source's
   * tensor names ({@code verify model.onnx frozen.pb}); other names are sanitized.
   */
  String reserveTensor(String onnxName) {
    if (onnxName.endsWith(":0")) {
      String node = onnxName.substring(0, onnxName.length() - 2);
      if (!names.contains(node) && node.equals(sanitize(node))) {
        names.add(node);
        return node;
      }
    }
    return reserve(onnxName);
  }

  /** A TF node name from an ONNX name: TF allows {@code [A-Za-z0-9.][A-Za-z0-9_.\-/]*}. */
  static String sanitize(String onnxName) {
    String s = onnxName.replaceAll("[^A-Za-z0-9_.\\-/]", "_").replaceAll("/+$", "");
    if (s.isEmpty() || !Character.isLetterOrDigit(s.charAt(0)) && s.charAt(0) != '.') {
      s = "n" + s;
    }
    return s;
  }

  private String unique(String base) {
    if (!names.contains(base)) {
      return base;
    }
    for (int i = 1; ; i++) {
      String n = base + "_" + i;
      if (!names.contains(n)) {
        return n;
      }
    }
  }

  NodeDef.Builder node(String name, String op, String... inputs) {
    NodeDef.Builder b = NodeDef.newBuilder().setName(name).setOp(op);
    for (String in : inputs) {
      b.addInput(in);
    }
    return b;
  }

  /** Adds the node under a unique form of its name; returns the node's name. */
  String add(NodeDef.Builder node) {
    return addNamed(node, false);
  }

  /** Adds a node whose name was reserved with {@link #reserve}. */
  String addReserved(NodeDef.Builder node) {
    return addNamed(node, true);
  }

  private String addNamed(NodeDef.Builder node, boolean reserved) {
    String name = reserved ? node.getName() : unique(sanitize(node.getName()));
    node.setName(name);
    names.add(name);
    boolean isDynamic = node.getOp().equals("Placeholder");
    for (String in : node.getInputList()) {
      isDynamic |= dynamic.contains(nodeOf(in));
    }
    if (isDynamic) {
      dynamic.add(name);
    }
    graph.addNode(node);
    return name;
  }

  static String nodeOf(String ref) {
    String r = ref.startsWith("^") ? ref.substring(1) : ref;
    int colon = r.lastIndexOf(':');
    return colon > 0 ? r.substring(0, colon) : r;
  }

  /** A Const node holding {@code value}. */
  String constant(String name, Tensor value) {
    String n = add(node(name, "Const").putAttr("dtype", type(value.dtype())).putAttr("value",
        AttrValue.newBuilder().setTensor(TensorProtos.withTensorContent(value.dtype(), value.shape(),
            value.canonicalBytes())).build()));
    constants.put(n + ":0", value);
    return n;
  }

  /**
   * The value of a tensor that does not depend on graph inputs, evaluated in the runtime; null for tensors computed
   * from inputs.
   */
  Tensor constantValue(String ref) {
    String node = nodeOf(ref);
    if (dynamic.contains(node)) {
      return null;
    }
    String key = ref.contains(":") ? ref : ref + ":0";
    Tensor known = constants.get(key);
    if (known != null) {
      return known;
    }
    Tensor v = new Session(graph.build()).run(Map.of(), List.of(key), List.of()).get(0);
    constants.put(key, v);
    return v;
  }

  static AttrValue type(DType t) {
    return AttrValue.newBuilder().setType(DataType.forNumber(t.number())).build();
  }

  static AttrValue str(String s) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(s)).build();
  }

  static AttrValue f(float v) {
    return AttrValue.newBuilder().setF(v).build();
  }

  static AttrValue b(boolean v) {
    return AttrValue.newBuilder().setB(v).build();
  }

  static AttrValue i(long v) {
    return AttrValue.newBuilder().setI(v).build();
  }

  static AttrValue ints(long... values) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (long v : values) {
      l.addI(v);
    }
    return AttrValue.newBuilder().setList(l).build();
  }

  static AttrValue shape(long[] dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    if (dims == null) {
      s.setUnknownRank(true);
    } else {
      for (long d : dims) {
        s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d < 0 ? -1 : d));
      }
    }
    return AttrValue.newBuilder().setShape(s).build();
  }
}
