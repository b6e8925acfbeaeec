package io.tfgw.converters.onnx.read;

import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NameAttrList;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.OpDef;
import io.tfgw.proto.TensorShapeProto;
import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.proto.onnx.GraphProto;
import io.tfgw.proto.onnx.NodeProto;
import io.tfgw.proto.onnx.TensorProto;
import io.tfgw.proto.onnx.ValueInfoProto;
import io.tfgw.runtime.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX {@code Loop} and {@code If} as TF's functional {@code While} and {@code If}, whose bodies and branches are
 * FunctionDefs in the graph's library (mapped node by node like the top graph, so subgraphs nest).
 *
 * <p>TF functions see only their arguments, while ONNX subgraphs read the scope around them by name: each value a
 * subgraph reads from outside becomes an argument (a loop variable the body passes through unchanged), except
 * constants, which are copied into the function so the mappings that need constant parameters still see them.
 * ONNX's Loop runs while {@code iteration < M} and its condition hold, both checked before each iteration; the
 * While carries the iteration count, M and the condition as its first loop variables and tests them in its
 * condition function. A scan output is an accumulator carried by the While, each iteration's value appended.
 */
final class ControlFlowImport {
  static final Set<String> OPS = Set.of("Loop", "If");

  /**
   * The output arguments of the runtime's ops (TF 2.21's op registry, see the resource): a FunctionDef names a
   * node's output {@code node:arg:index}, not by its flat index as a GraphDef does.
   */
  private static final Map<String, List<String>> OUTPUT_ARGS = loadOutputArgs();

  private ControlFlowImport() {}

  private static Map<String, List<String>> loadOutputArgs() {
    Map<String, List<String>> out = new HashMap<>();
    try (InputStream in = ControlFlowImport.class.getResourceAsStream("tf_output_args.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        out.put(parts[0], List.of(parts).subList(1, parts.length));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static List<Value> map(NodeContext c) {
    return c.node.getOpType().equals("Loop") ? loop(c) : ifNode(c);
  }

  // Loop -> While

  private static List<Value> loop(NodeContext c) {
    GraphProto body = graphAttr(c, "body");
    int n = c.inputs() - 2;
    if (n < 0 || body.getInputCount() != n + 2 || body.getOutputCount() < n + 1) {
      throw new CorruptInputException(c.where() + ": its body has " + body.getInputCount() + " inputs and "
          + body.getOutputCount() + " outputs for " + Math.max(n, 0) + " loop-carried values");
    }
    int scans = body.getOutputCount() - n - 1;
    declare(c, body);
    boolean bounded = c.has(0);
    List<Value> init = new ArrayList<>();
    init.add(new Value(c.g.constant(c.base() + "/iteration", Tensor.scalar(0L)), DType.INT64, 0));
    if (bounded) {
      init.add(new Value(scalar(c.g, c.cast(c.in(0).ref(), c.in(0).dtype(), DType.INT64), DType.INT64,
          c.base() + "/M"), DType.INT64, 0));
    }
    init.add(c.has(1) ? new Value(scalar(c.g, c.cast(c.in(1).ref(), c.in(1).dtype(), DType.BOOL), DType.BOOL,
        c.base() + "/cond"), DType.BOOL, 0) : new Value(c.g.constant(c.base() + "/cond", Tensor.scalar(true)),
        DType.BOOL, 0));
    int first = init.size(); // the ONNX loop-carried values start here
    for (int k = 0; k < n; k++) {
      init.add(c.in(2 + k));
    }
    // scan outputs: an accumulator per scan output, empty at first, each iteration's value appended along axis 0
    for (int j = 0; j < scans; j++) {
      DType t = scanType(c, body.getOutput(1 + n + j));
      init.add(new Value(c.g.constant(c.base() + "/scan" + j, Tensor.zeros(t, io.tfgw.core.tensor.Shape.of(0))), t,
          1));
    }
    List<String> captured = capturedValues(c, List.of(body));
    for (String name : captured) {
      init.add(c.values().get(name));
    }
    // condition: the ONNX condition, and the iteration count below M when M is given
    Body cond = new Body(c);
    List<Value> condArgs = cond.args(init);
    Value keepGoing = condArgs.get(first - 1);
    if (bounded) {
      String below = cond.g.add(cond.g.node("below_M", "Less", condArgs.get(0).ref(), condArgs.get(1).ref())
          .putAttr("T", TfGraphBuilder.type(DType.INT64)));
      keepGoing = new Value(cond.g.add(cond.g.node("keep_going", "LogicalAnd", keepGoing.ref(), below)), DType.BOOL,
          0);
    }
    String condName = functionName(c, "cond");
    c.g.addFunction(cond.function(condName, List.of(keepGoing)));
    // body: the ONNX body on the carried values, then the next iteration count and the captures unchanged
    Body step = new Body(c);
    List<Value> args = step.args(init);
    step.values.put(body.getInput(0).getName(), args.get(0));
    step.values.put(body.getInput(1).getName(), args.get(first - 1));
    for (int k = 0; k < n; k++) {
      step.values.put(body.getInput(2 + k).getName(), args.get(first + k));
    }
    step.bind(captured, args.subList(first + n + scans, args.size()), body);
    OnnxImporter.importNodes(body.getNodeList(), c.opset, step.g, step.values, c.file(), c.declaredShapes());
    List<Value> results = new ArrayList<>();
    String one = step.g.constant("one", Tensor.scalar(1L));
    results.add(new Value(step.g.add(step.g.node("next_iteration", "AddV2", args.get(0).ref(), one)
        .putAttr("T", TfGraphBuilder.type(DType.INT64))), DType.INT64, 0));
    if (bounded) {
      results.add(args.get(1));
    }
    Value condOut = step.result(body, 0);
    results.add(new Value(scalar(step.g, castIn(step.g, condOut, DType.BOOL), DType.BOOL, "cond_out"), DType.BOOL,
        0));
    for (int k = 0; k < n; k++) {
      Value v = step.result(body, 1 + k);
      if (v.dtype() != init.get(first + k).dtype()) {
        throw new CorruptInputException(c.where() + ": loop-carried value " + k + " is " + init.get(first + k).dtype()
            + " before the loop and " + v.dtype() + " after an iteration");
      }
      results.add(v);
    }
    for (int j = 0; j < scans; j++) {
      results.add(appended(step.g, args.get(first + n + j), step.result(body, 1 + n + j), "scan" + j));
    }
    results.addAll(args.subList(first + n + scans, args.size()));
    String bodyName = functionName(c, "body");
    c.g.addFunction(step.function(bodyName, results));
    NodeDef.Builder w = c.g.node(c.base() + "/while", "While", init.stream().map(Value::ref).toArray(String[]::new))
        .putAttr("T", types(init)).putAttr("cond", func(condName)).putAttr("body", func(bodyName))
        .putAttr("output_shapes", unknownShapes(init.size())).putAttr("parallel_iterations", TfGraphBuilder.i(10));
    String node = c.g.add(w);
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      Value before = init.get(first + k);
      Value after = results.get(first + k);
      outs.add(before.at(node + ":" + (first + k), before.rank() == after.rank() ? before.rank() : -1));
    }
    for (int j = 0; j < scans; j++) {
      Value element = step.result(body, 1 + n + j);
      Value stacked = new Value(node + ":" + (first + n + j), element.dtype(), element.rank() < 0 ? -1
          : element.rank() + 1);
      long[] dims = OnnxImporter.dims(body.getOutput(1 + n + j));
      if (dims != null && java.util.Arrays.stream(dims).allMatch(d -> d >= 0)) {
        // after no iteration the accumulator is still the 1-D empty tensor: give it the [0, dims...] shape ONNX has
        long[] shape = new long[dims.length + 1];
        shape[0] = -1;
        System.arraycopy(dims, 0, shape, 1, dims.length);
        String to = c.g.constant(c.base() + "/scan" + j + "_shape", Tensor.ofLongs(new long[] {shape.length}, shape));
        stacked = new Value(c.reshape(stacked.ref(), stacked.dtype(), to, DType.INT64), stacked.dtype(),
            shape.length);
      }
      outs.add(stacked);
    }
    return outs;
  }

  private static DType scanType(NodeContext c, ValueInfoProto v) {
    if (!v.getType().hasTensorType() || v.getType().getTensorType().getElemType() == 0) {
      throw c.unsupported("scan output '" + v.getName() + "' declares no tensor element type");
    }
    return OnnxFile.dtype(v.getType().getTensorType().getElemType(), "scan output '" + v.getName() + "'");
  }

  /**
   * {@code acc} with {@code v} appended along a new first axis: the accumulator (1-D and empty before the first
   * iteration) is first reshaped to {@code [-1, shape(v)...]}.
   */
  private static Value appended(TfGraphBuilder g, Value acc, Value v, String name) {
    AttrValue t = TfGraphBuilder.type(v.dtype());
    String shape = g.add(g.node(name + "/shape", "Shape", v.ref()).putAttr("T", t)
        .putAttr("out_type", TfGraphBuilder.type(DType.INT32)));
    String axis = g.constant(name + "/axis", Tensor.scalar(0));
    String minusOne = g.constant(name + "/rows", Tensor.ofInts(new long[] {1}, -1));
    String target = g.add(g.node(name + "/target", "ConcatV2", minusOne, shape, axis)
        .putAttr("T", TfGraphBuilder.type(DType.INT32)).putAttr("N", TfGraphBuilder.i(2))
        .putAttr("Tidx", TfGraphBuilder.type(DType.INT32)));
    String rows = g.add(g.node(name + "/rows", "Reshape", acc.ref(), target).putAttr("T", t)
        .putAttr("Tshape", TfGraphBuilder.type(DType.INT32)));
    String row = g.add(g.node(name + "/row", "ExpandDims", v.ref(), axis).putAttr("T", t)
        .putAttr("Tdim", TfGraphBuilder.type(DType.INT32)));
    String out = g.add(g.node(name + "/appended", "ConcatV2", rows, row, axis).putAttr("T", t)
        .putAttr("N", TfGraphBuilder.i(2)).putAttr("Tidx", TfGraphBuilder.type(DType.INT32)));
    return new Value(out, v.dtype(), v.rank() < 0 ? -1 : v.rank() + 1);
  }

  // If -> If

  private static List<Value> ifNode(NodeContext c) {
    GraphProto thenGraph = graphAttr(c, "then_branch");
    GraphProto elseGraph = graphAttr(c, "else_branch");
    if (thenGraph.getOutputCount() != c.node.getOutputCount() || elseGraph.getOutputCount()
        != c.node.getOutputCount()) {
      throw new CorruptInputException(c.where() + ": its branches return " + thenGraph.getOutputCount() + " and "
          + elseGraph.getOutputCount() + " values for its " + c.node.getOutputCount() + " outputs");
    }
    declare(c, thenGraph);
    declare(c, elseGraph);
    // TF's If takes a non-scalar predicate as "not empty": ONNX's one-element condition becomes a scalar first
    String cond = scalar(c.g, c.cast(c.in(0).ref(), c.in(0).dtype(), DType.BOOL), DType.BOOL, c.base() + "/cond");
    List<String> captured = capturedValues(c, List.of(thenGraph, elseGraph));
    List<Value> ins = new ArrayList<>();
    for (String name : captured) {
      ins.add(c.values().get(name));
    }
    List<List<Value>> branchResults = new ArrayList<>();
    String[] names = new String[2];
    int b = 0;
    for (GraphProto branch : List.of(thenGraph, elseGraph)) {
      Body fn = new Body(c);
      fn.bind(captured, fn.args(ins), branch);
      OnnxImporter.importNodes(branch.getNodeList(), c.opset, fn.g, fn.values, c.file(), c.declaredShapes());
      List<Value> results = new ArrayList<>();
      for (int k = 0; k < branch.getOutputCount(); k++) {
        results.add(fn.result(branch, k));
      }
      names[b] = functionName(c, b == 0 ? "then" : "else");
      c.g.addFunction(fn.function(names[b], results));
      branchResults.add(results);
      b++;
    }
    List<Value> thenOut = branchResults.get(0);
    List<Value> elseOut = branchResults.get(1);
    for (int k = 0; k < thenOut.size(); k++) {
      if (thenOut.get(k).dtype() != elseOut.get(k).dtype()) {
        throw new CorruptInputException(c.where() + ": its branches return " + thenOut.get(k).dtype() + " and "
            + elseOut.get(k).dtype() + " for output " + k);
      }
    }
    List<String> inputs = new ArrayList<>();
    inputs.add(cond);
    ins.forEach(v -> inputs.add(v.ref()));
    String node = c.g.add(c.g.node(c.base() + "/if", "If", inputs.toArray(String[]::new))
        .putAttr("Tcond", TfGraphBuilder.type(DType.BOOL)).putAttr("Tin", types(ins)).putAttr("Tout", types(thenOut))
        .putAttr("then_branch", func(names[0])).putAttr("else_branch", func(names[1]))
        .putAttr("output_shapes", unknownShapes(thenOut.size())));
    List<Value> outs = new ArrayList<>();
    for (int k = 0; k < thenOut.size(); k++) {
      Value t = thenOut.get(k);
      outs.add(t.at(node + ":" + k, t.rank() == elseOut.get(k).rank() ? t.rank() : -1));
    }
    return outs;
  }

  // subgraphs as functions

  /** A function being built: its arguments as Placeholders of a graph of its own, then the FunctionDef. */
  private static final class Body {
    final TfGraphBuilder g;
    final Map<String, Value> values = new HashMap<>();
    private final NodeContext outer;
    private final List<String> args = new ArrayList<>();
    private final List<DType> argTypes = new ArrayList<>();

    Body(NodeContext outer) {
      this.outer = outer;
      this.g = outer.g.nested();
    }

    /** One argument per value passed in, typed as it. */
    List<Value> args(List<Value> passed) {
      List<Value> out = new ArrayList<>();
      for (Value v : passed) {
        String name = g.add(g.node("arg" + args.size(), "Placeholder")
            .putAttr("dtype", TfGraphBuilder.type(v.dtype())));
        args.add(name);
        argTypes.add(v.dtype());
        out.add(v.at(name, v.rank()));
      }
      return out;
    }

    /** The outer values and the subgraph's own initializers the subgraph reads; constants are copied in. */
    void bind(List<String> captured, List<Value> captureArgs, GraphProto graph) {
      for (int i = 0; i < captured.size(); i++) {
        values.put(captured.get(i), captureArgs.get(i));
      }
      for (String name : constantReads(outer, List.of(graph))) {
        Tensor t = outer.g.constantValue(outer.values().get(name).ref());
        values.put(name, new Value(g.constant(name, t), t.dtype(), t.rank()));
      }
      for (TensorProto t : graph.getInitializerList()) {
        Tensor value = Tensor.fromData(outer.file().tensor(t, "initializer '" + t.getName() + "'"));
        values.put(t.getName(), new Value(g.constant(t.getName(), value), value.dtype(), value.rank()));
      }
    }

    Value result(GraphProto graph, int k) {
      String name = graph.getOutput(k).getName();
      Value v = values.get(name);
      if (v == null) {
        throw new CorruptInputException(outer.where() + ": its subgraph's output '" + name + "' is computed by no "
            + "node");
      }
      return v;
    }

    /**
     * The FunctionDef: nodes as built (arguments dropped), inputs written {@code node:arg:index}; the functions
     * nested subgraphs made move to the outer library.
     */
    FunctionDef function(String name, List<Value> results) {
      GraphDef built = g.build();
      Map<String, NodeDef> nodes = new HashMap<>();
      built.getNodeList().forEach(n -> nodes.put(n.getName(), n));
      Set<String> argNames = new HashSet<>(args);
      OpDef.Builder sig = OpDef.newBuilder().setName(name);
      for (int i = 0; i < args.size(); i++) {
        sig.addInputArg(OpDef.ArgDef.newBuilder().setName(args.get(i)).setType(DataType.forNumber(argTypes.get(i)
            .number())));
      }
      FunctionDef.Builder f = FunctionDef.newBuilder();
      for (NodeDef n : built.getNodeList()) {
        if (argNames.contains(n.getName())) {
          continue;
        }
        NodeDef.Builder b = n.toBuilder().clearInput();
        for (String in : n.getInputList()) {
          String ref = functionRef(in, nodes, argNames);
          if (ref != null) {
            b.addInput(ref);
          }
        }
        f.addNodeDef(b);
      }
      for (int k = 0; k < results.size(); k++) {
        String out = "out" + k;
        sig.addOutputArg(OpDef.ArgDef.newBuilder().setName(out).setType(DataType.forNumber(results.get(k).dtype()
            .number())));
        f.putRet(out, functionRef(results.get(k).ref(), nodes, argNames));
      }
      built.getLibrary().getFunctionList().forEach(outer.g::addFunction);
      return f.setSignature(sig).build();
    }
  }

  /** A graph reference ({@code node}, {@code node:i}, {@code ^node}) as a FunctionDef writes it. */
  private static String functionRef(String ref, Map<String, NodeDef> nodes, Set<String> args) {
    if (ref.startsWith("^")) {
      return args.contains(ref.substring(1)) ? null : ref; // an argument is there before anything runs
    }
    String node = TfGraphBuilder.nodeOf(ref);
    int index = node.length() == ref.length() ? 0 : Integer.parseInt(ref.substring(node.length() + 1));
    if (args.contains(node)) {
      return node;
    }
    NodeDef n = nodes.get(node);
    List<String> outArgs = OUTPUT_ARGS.get(n.getOp());
    if (outArgs == null) {
      throw new UnsupportedInputException("TF op " + n.getOp() + " (node '" + node + "') has no known output "
          + "arguments, so it cannot be placed in a function (a Loop body or If branch)");
    }
    int offset = 0;
    for (String a : outArgs) {
      int star = a.indexOf('*');
      int count = 1;
      if (star >= 0) {
        AttrValue attr = n.getAttrMap().get(a.substring(star + 1));
        count = attr == null ? 0 : attr.hasList() ? attr.getList().getTypeCount() : (int) attr.getI();
      }
      if (index < offset + count) {
        return node + ":" + (star >= 0 ? a.substring(0, star) : a) + ":" + (index - offset);
      }
      offset += count;
    }
    throw new UnsupportedInputException("TF op " + n.getOp() + " (node '" + node + "') has no output " + index);
  }

  /** Values the subgraphs read from the scope around them that are not constants there, in first-read order. */
  private static List<String> capturedValues(NodeContext c, List<GraphProto> graphs) {
    Set<String> constants = new HashSet<>(constantReads(c, graphs));
    List<String> out = new ArrayList<>();
    for (String name : outerReads(graphs)) {
      if (!constants.contains(name)) {
        out.add(name);
      }
    }
    return out;
  }

  private static List<String> constantReads(NodeContext c, List<GraphProto> graphs) {
    List<String> out = new ArrayList<>();
    for (String name : outerReads(graphs)) {
      Value v = c.values().get(name);
      if (v == null) {
        throw new CorruptInputException(c.where() + ": its subgraph reads '" + name + "', which is not defined "
            + "before it");
      }
      if (c.g.constantValue(v.ref()) != null) {
        out.add(name);
      }
    }
    return out;
  }

  private static List<String> outerReads(List<GraphProto> graphs) {
    Set<String> reads = new LinkedHashSet<>();
    for (GraphProto g : graphs) {
      reads.addAll(outerReads(g));
    }
    return new ArrayList<>(reads);
  }

  /** Names a graph reads but neither defines nor takes as input (nested subgraphs included). */
  static Set<String> outerReads(GraphProto g) {
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(v -> defined.add(v.getName()));
    g.getInitializerList().forEach(t -> defined.add(t.getName()));
    Set<String> reads = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !defined.contains(in)) {
          reads.add(in);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          for (String in : outerReads(a.getG())) {
            if (!defined.contains(in)) {
              reads.add(in);
            }
          }
        }
      }
      defined.addAll(n.getOutputList());
    }
    return reads;
  }

  private static GraphProto graphAttr(NodeContext c, String name) {
    for (AttributeProto a : c.node.getAttributeList()) {
      if (a.getName().equals(name) && a.hasG()) {
        return a.getG();
      }
    }
    throw new CorruptInputException(c.where() + " has no graph attribute '" + name + "'");
  }

  /** The subgraph's declared shapes join the graph's, so its values get the ranks the file states. */
  private static void declare(NodeContext c, GraphProto g) {
    for (ValueInfoProto v : g.getValueInfoList()) {
      long[] d = OnnxImporter.dims(v);
      if (d != null) {
        c.declaredShapes().put(v.getName(), d);
      }
    }
  }

  private static String functionName(NodeContext c, String part) {
    return c.g.functionName(c.base() + "_" + part);
  }

  private static String scalar(TfGraphBuilder g, String ref, DType t, String name) {
    String shape = g.constant(name + "/scalar_shape", Tensor.ofInts(new long[] {0}));
    return g.add(g.node(name + "/scalar", "Reshape", ref, shape).putAttr("T", TfGraphBuilder.type(t))
        .putAttr("Tshape", TfGraphBuilder.type(DType.INT32)));
  }

  private static String castIn(TfGraphBuilder g, Value v, DType to) {
    if (v.dtype() == to) {
      return v.ref();
    }
    return g.add(g.node("cast", "Cast", v.ref()).putAttr("SrcT", TfGraphBuilder.type(v.dtype()))
        .putAttr("DstT", TfGraphBuilder.type(to)));
  }

  private static AttrValue types(List<Value> values) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    values.forEach(v -> l.addType(DataType.forNumber(v.dtype().number())));
    return AttrValue.newBuilder().setList(l).build();
  }

  private static AttrValue func(String name) {
    return AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(name)).build();
  }

  private static AttrValue unknownShapes(int count) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (int i = 0; i < count; i++) {
      l.addShape(TensorShapeProto.newBuilder().setUnknownRank(true));
    }
    return AttrValue.newBuilder().setList(l).build();
  }
}
