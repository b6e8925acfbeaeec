package io.tfgw.converters.onnx;

import io.tfgw.converters.graph.Freezer;
import io.tfgw.converters.graph.TensorRef;
import io.tfgw.core.TfgwException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Session;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Maps a frozen TF graph (variables as constants, functions inlined) onto an ONNX graph. Nodes whose inputs are
 * all constant are evaluated once in tfgw's runtime (TF's own semantics) and become constants; every other node
 * goes through its {@link OpMapping}. Nodes without a mapping are all collected and reported together before
 * anything is written.
 */
final class TfToOnnx {
  /** An input or output of the exported model: its ONNX name and the TF tensor behind it. */
  record Port(String name, String tensor, DType dtype, long[] shape, String[] dimParams) {}

  private static final Map<String, OpMapping> MAPPINGS = new HashMap<>();
  /** Ops that pass their first input through unchanged. */
  private static final Set<String> PASS_THROUGH = Set.of("Identity", "StopGradient", "Snapshot", "CheckNumerics",
      "EnsureShape", "PreventGradient", "PlaceholderWithDefault", "DebugIdentity", "CheckNumericsV2", "RefIdentity",
      "DeepCopy");
  /** Ops never evaluated at export time: their value differs per run. */
  private static final Set<String> NOT_FOLDED = Set.of("RandomUniform", "RandomUniformInt", "RandomStandardNormal",
      "TruncatedNormal", "Multinomial", "RandomShuffle", "Placeholder", "Switch", "RefSwitch", "Merge", "RefMerge",
      "Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration", "LoopCond", "ControlTrigger");

  static {
    ElementwiseMappings.register(MAPPINGS);
    NnMappings.register(MAPPINGS);
    ArrayMappings.register(MAPPINGS);
    SegmentMappings.register(MAPPINGS);
    TensorListMappings.register(MAPPINGS);
    TensorArrayMappings.register(MAPPINGS);
  }

  /** The TF ops with an ONNX mapping (for the README's table and for checks). */
  static Set<String> mappedOps() {
    Set<String> ops = new TreeSet<>(MAPPINGS.keySet());
    ops.addAll(PASS_THROUGH);
    ops.add("IdentityN");
    ops.add("Const");
    ops.add("Placeholder");
    ops.addAll(FunctionalControlFlow.OPS);
    return ops;
  }

  private final GraphDef graph;
  private final Map<String, Supplier<TensorData>> lazy;
  private final int opset;
  private final Map<String, NodeDef> nodes = new LinkedHashMap<>();
  /** TF1 loop and cond frames of {@code nodes}, found once the graph is final (after atrous convolutions fold). */
  private ControlFlowFrames frames;
  /**
   * The graph being emitted into: the one this converter builds (a model's, or the subgraph a TF2 function body
   * is mapped into), or, while {@link #emitIn} builds one, a TF1 Loop body or If branch.
   */
  private OnnxGraph g;
  /** TF tensor name ({@code node:i}) to ONNX value name, as visible in the scope being emitted. */
  private Map<String, String> values = new HashMap<>();
  private final Set<String> failed = new HashSet<>();
  private final Map<String, List<String>> problems = new LinkedHashMap<>();
  /** Which outputs of each node are consumed (or exported). */
  private Map<String, Set<Integer>> used = Map.of();
  /** Frames whose loop is being emitted or could not be: their other Exits are not reported again. */
  private final Set<String> failedFrames = new HashSet<>();

  TfToOnnx(Freezer.Lazy frozen, int opset) {
    this(frozen.graph(), frozen.variables(), opset, new OnnxGraph());
  }

  private TfToOnnx(GraphDef graph, Map<String, Supplier<TensorData>> lazy, int opset, OnnxGraph g) {
    this.graph = graph;
    this.lazy = lazy;
    this.opset = opset;
    this.g = g;
    for (NodeDef n : graph.getNodeList()) {
      nodes.put(n.getName(), n);
    }
  }

  /**
   * Maps a function's body (as a graph of its own, see {@link FunctionalControlFlow}) into {@code into}, a graph
   * or subgraph being built: the tensors in {@code bound} are already ONNX values there (the function's
   * arguments); returns the ONNX values of {@code outputs}. Nodes without a mapping are all named in one exception.
   */
  static List<String> convertInto(GraphDef graph, OnnxGraph into, int opset, Map<String, String> bound,
      List<String> outputs, String what) {
    TfToOnnx t = new TfToOnnx(graph, Map.of(), opset, into);
    t.values.putAll(bound);
    List<Port> outs = outputs.stream().map(o -> new Port(o, o, null, null, null)).toList();
    t.frames = new ControlFlowFrames(t.nodes);
    t.used = t.usedOutputs(outs);
    for (String name : t.order(outputs, new HashSet<>(bound.keySet()))) {
      t.convertGuarded(t.nodes.get(name));
    }
    if (!t.problems.isEmpty()) {
      throw new UnsupportedInputException(what + ": " + t.describeNodes());
    }
    List<String> result = new ArrayList<>();
    for (String o : outputs) {
      String v = t.values.get(o);
      if (v == null) {
        throw new UnsupportedInputException(what + ": its result " + o + " has no value");
      }
      result.add(v);
    }
    return result;
  }

  OnnxGraph convert(List<Port> inputs, List<Port> outputs) {
    Set<String> kept = new HashSet<>();
    inputs.forEach(p -> kept.add(TensorRef.parse(p.tensor()).tensorName()));
    outputs.forEach(p -> kept.add(TensorRef.parse(p.tensor()).tensorName()));
    AtrousConvolutions.fold(nodes, kept);
    frames = new ControlFlowFrames(nodes);
    for (Port p : inputs) {
      g.reserve(p.name());
      values.put(p.tensor(), p.name());
      g.meta.put(p.name(), new OnnxGraph.Meta(p.dtype(), p.shape()));
      g.inputs.add(new OnnxGraph.Port(p.name(), p.dtype(), p.shape(), p.dimParams()));
    }
    for (Port p : outputs) {
      g.reserve(p.name());
    }
    used = usedOutputs(outputs);
    for (Port p : outputs) {
      String node = TensorRef.parse(p.tensor()).node();
      if (!nodes.containsKey(node)) {
        throw new WrongInputException("The graph has no node '" + node + "' (output " + p.name() + ")");
      }
      String frame = frames.frameOf(node);
      if (!frame.equals(ControlFlowFrames.ROOT)) {
        throw new WrongInputException("Output " + p.name() + " (" + p.tensor() + ") is computed inside the TF1 while "
            + "loop of frame '" + frame + "', once per iteration; export what the loop gives (its Exit nodes' "
            + "outputs) instead");
      }
    }
    Set<String> fed = new HashSet<>(values.keySet());
    for (String name : order(outputs.stream().map(Port::tensor).toList(), fed)) {
      convertGuarded(nodes.get(name));
    }
    if (!problems.isEmpty()) {
      throw new UnsupportedInputException(describeProblems());
    }
    for (Port p : inputs) {
      if (p.shape() == null) {
        throw new UnsupportedInputException("Input '" + p.name() + "' (" + p.tensor() + ") declares no rank (its "
            + "Placeholder has no shape), and ONNX model inputs need one; export from a graph whose input has a "
            + "shape. Nothing was written.");
      }
    }
    for (Port p : outputs) {
      String v = values.get(p.tensor());
      OnnxGraph.Meta m = g.meta(v);
      if (m.sequence()) {
        // both a TF2 TensorList and a TF1 TensorArray's flow are ONNX sequences, which no output of tfgw's is
        throw new UnsupportedInputException("Output '" + p.name() + "' (" + p.tensor() + ") is a TensorList or "
            + "a TensorArray's flow, which ONNX holds as a sequence; export the tensor stacked from it "
            + "(TensorListStack, TensorArrayGatherV3) or the tensors read from it instead. Nothing was written.");
      }
      long[] shape = p.shape() != null ? p.shape() : m.shape() != null ? m.shape() : declaredOutputShape(p.tensor());
      DType dtype = m.dtype();
      // graph outputs carry the names the source gives them
      g.add("Identity", "node:" + p.name(), List.of(v), List.of(p.name()));
      g.meta.put(p.name(), new OnnxGraph.Meta(dtype, shape));
      g.outputs.add(new OnnxGraph.Port(p.name(), dtype, shape, null));
    }
    return g;
  }

  private void convertGuarded(NodeDef n) {
    try {
      convertNode(n, used.getOrDefault(n.getName(), Set.of()));
    } catch (AlreadyReported e) {
      failed.add(n.getName());
    } catch (UnsupportedInputException e) {
      problem(n, e.getMessage());
    } catch (WrongInputException e) {
      throw e;
    } catch (TfgwException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException
        | ArithmeticException e) {
      problem(n, e.getMessage());
    }
  }

  /** A node that cannot be emitted because something it needs already failed (and was reported). */
  static final class AlreadyReported extends RuntimeException {
    AlreadyReported() {
      super(null, null, false, false);
    }
  }

  int opset() {
    return opset;
  }

  /** The graph being emitted into (the main graph, or the body or branch being built). */
  OnnxGraph graph() {
    return g;
  }

  /** The TF tensors visible in the scope being emitted, with their ONNX values. */
  Map<String, String> values() {
    return values;
  }

  /** The ONNX value of a TF tensor in the current scope; a node that failed before is not reported again. */
  String value(String tensor) {
    TensorRef r = TensorRef.parse(tensor);
    String v = values.get(r.tensorName());
    if (v == null) {
      if (failed.contains(r.node())) {
        throw new AlreadyReported();
      }
      throw new UnsupportedInputException("its input " + tensor + " has no value");
    }
    return v;
  }

  /**
   * Emits into {@code into} what {@code targets} (TF tensor names) need, seeing {@code scope} (TF tensor to ONNX
   * value; it grows with what is emitted); returns the targets' values. Used for Loop bodies and If branches, and
   * for a loop's first condition. Throws {@link AlreadyReported} when a node on the way could not be emitted.
   */
  List<String> emitIn(OnnxGraph into, Map<String, String> scope, List<String> targets) {
    OnnxGraph outerGraph = g;
    Map<String, String> outerValues = values;
    g = into;
    values = scope;
    try {
      for (String name : order(targets, new HashSet<>(scope.keySet()))) {
        convertGuarded(nodes.get(name));
      }
      List<String> out = new ArrayList<>();
      for (String t : targets) {
        String v = values.get(TensorRef.parse(t).tensorName());
        if (v == null) {
          throw new AlreadyReported();
        }
        out.add(v);
      }
      return out;
    } finally {
      g = outerGraph;
      values = outerValues;
    }
  }

  private void problem(NodeDef n, String why) {
    failed.add(n.getName());
    problems.computeIfAbsent(n.getOp(), k -> new ArrayList<>()).add("'" + n.getName() + "'"
        + (why == null || why.isEmpty() ? "" : " (" + why + ")"));
  }

  private String describeProblems() {
    return describeNodes() + " Nothing was written. "
        + "The ops tfgw maps are listed in the README's ONNX section; export outputs that avoid these nodes with "
        + "--outputs, or cut the graph before them with --inputs.";
  }

  /** The nodes that cannot be exported, grouped by op. */
  private String describeNodes() {
    List<String> parts = new ArrayList<>();
    int count = 0;
    for (Map.Entry<String, List<String>> e : problems.entrySet()) {
      count += e.getValue().size();
      List<String> shown = e.getValue().subList(0, Math.min(5, e.getValue().size()));
      parts.add(e.getKey() + " (node" + (e.getValue().size() > 1 ? "s " : " ") + String.join(", ", shown)
          + (e.getValue().size() > shown.size() ? " and " + (e.getValue().size() - shown.size()) + " more" : "")
          + ")");
    }
    return count + " node(s) cannot be exported to ONNX: " + String.join("; ", parts) + ".";
  }

  /** Which outputs of each node are consumed (or exported), so multi-output nodes bind what matters. */
  private Map<String, Set<Integer>> usedOutputs(List<Port> outputs) {
    Map<String, Set<Integer>> used = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        TensorRef r = TensorRef.parse(in);
        if (!r.control()) {
          used.computeIfAbsent(r.node(), k -> new TreeSet<>()).add(r.index());
        }
      }
    }
    for (Port p : outputs) {
      TensorRef r = TensorRef.parse(p.tensor());
      used.computeIfAbsent(r.node(), k -> new TreeSet<>()).add(r.index());
    }
    return used;
  }

  /**
   * The nodes the target tensors need, in dependency order (data edges only; tensors in {@code fed} are given and
   * cut the graph). A loop is one step, entered at its Exits, and a cond one step, entered at its Merge: their
   * insides are ordered when their body or branches are built.
   */
  private List<String> order(List<String> targets, Set<String> fed) {
    List<String> out = new ArrayList<>();
    Set<String> done = new HashSet<>();
    Set<String> onPath = new HashSet<>();
    Deque<Object[]> stack = new ArrayDeque<>();
    for (String target : targets) {
      if (fed.contains(TensorRef.parse(target).tensorName())) {
        continue;
      }
      String root = TensorRef.parse(target).node();
      stack.push(new Object[] {root, 0, null});
      while (!stack.isEmpty()) {
        Object[] top = stack.peek();
        String name = (String) top[0];
        NodeDef n = nodes.get(name);
        if (done.contains(name)) {
          stack.pop();
          continue;
        }
        onPath.add(name);
        int i = (Integer) top[1];
        if (top[2] == null) {
          top[2] = dataInputs(n, fed);
        }
        @SuppressWarnings("unchecked")
        List<String> deps = (List<String>) top[2];
        if (i < deps.size()) {
          top[1] = i + 1;
          String dep = deps.get(i);
          if (!nodes.containsKey(dep)) {
            throw new WrongInputException("Node '" + name + "' reads '" + dep + "', which the graph does not have");
          }
          if (!done.contains(dep)) {
            if (onPath.contains(dep)) {
              throw new UnsupportedInputException("1 node(s) cannot be exported to ONNX: a TF1 while loop whose "
                  + "frame cannot be rebuilt (a cycle through node '" + dep + "', " + nodes.get(dep).getOp()
                  + ", that is not closed by the loop's Enter/Merge/Switch/Exit nodes). Nothing was written.");
            }
            stack.push(new Object[] {dep, 0, null});
          }
          continue;
        }
        stack.pop();
        onPath.remove(name);
        done.add(name);
        out.add(name);
      }
    }
    return out;
  }

  private List<String> dataInputs(NodeDef n, Set<String> fed) {
    List<String> deps = new ArrayList<>();
    if (fed.contains(n.getName() + ":0")) {
      return deps; // an input of the exported model: what computes it in TF is cut away
    }
    List<TensorRef> ins;
    try {
      ins = frames.effectiveInputs(n);
    } catch (UnsupportedInputException e) {
      return deps; // not a loop or cond tfgw can rebuild: convertNode reports it, naming the frame
    }
    for (TensorRef r : ins) {
      if (!r.control() && !fed.contains(r.tensorName())) {
        deps.add(r.node());
      }
    }
    return deps;
  }

  private String valueOf(String input) {
    TensorRef r = TensorRef.parse(input);
    return values.get(r.tensorName());
  }

  private void convertNode(NodeDef n, Set<Integer> usedOutputs) {
    String name = n.getName();
    if (values.containsKey(name + ":0")) {
      return; // an exported input
    }
    if (ControlFlowFrames.isExit(n)) {
      String frame = frames.frameOf(name);
      if (!failedFrames.add(frame)) {
        throw new AlreadyReported(); // the loop's first Exit reported why it cannot be exported
      }
      LoopExport.emit(this, frames.loopOf(n));
      failedFrames.remove(frame);
      return;
    }
    if (ControlFlowFrames.isMerge(n) && !frames.isLoopMerge(n)) {
      CondExport.emit(this, frames.condOf(n), usedOutputs);
      return;
    }
    List<String> ins = new ArrayList<>();
    for (String in : n.getInputList()) {
      TensorRef r = TensorRef.parse(in);
      if (r.control()) {
        continue;
      }
      if (failed.contains(r.node())) {
        failed.add(name); // a consequence of a node already reported; still named if it has no mapping itself
        if (!MAPPINGS.containsKey(n.getOp()) && !PASS_THROUGH.contains(n.getOp()) && !n.getOp().equals("IdentityN")
            && !n.getOp().equals("Const") && !FunctionalControlFlow.OPS.contains(n.getOp())) {
          problem(n, "");
        }
        return;
      }
      String v = values.get(r.tensorName());
      if (v == null) {
        throw new UnsupportedInputException("its input " + in + " has no value");
      }
      ins.add(v);
    }
    switch (n.getOp()) {
      case "Const" -> {
        constant(n);
        return;
      }
      case "Placeholder", "PlaceholderV2" -> throw new WrongInputException("The outputs need Placeholder '" + name
          + "', which is not among the model's inputs; name it with --inputs " + name + ":0 or choose other outputs");
      case "IdentityN" -> {
        for (int i = 0; i < ins.size(); i++) {
          values.put(name + ":" + i, ins.get(i));
        }
        return;
      }
      default -> { }
    }
    if (PASS_THROUGH.contains(n.getOp())) {
      values.put(name + ":0", ins.get(0));
      return;
    }
    // a TensorArray's handle and flow are the array's state, never values to fold
    boolean foldable = !NOT_FOLDED.contains(n.getOp()) && !n.getOp().startsWith("TensorArray");
    if (foldable && !ins.isEmpty() && ins.stream().allMatch(v -> {
      ConstValue c = g.constants.get(v);
      return c != null && c.isSmall() && c.dtype() != DType.STRING;
    }) && fold(n, ins, usedOutputs)) {
      return;
    }
    OpMapping mapping = FunctionalControlFlow.OPS.contains(n.getOp())
        ? c -> new FunctionalControlFlow(graph.getLibrary(), opset).map(c) : MAPPINGS.get(n.getOp());
    if (mapping == null) {
      problem(n, "");
      return;
    }
    int count = usedOutputs.isEmpty() ? 1 : usedOutputs.stream().mapToInt(Integer::intValue).max().getAsInt() + 1;
    if (n.getOp().equals("Unpack")) {
      count = (int) n.getAttrOrThrow("num").getI();
    } else if (n.getOp().equals("Split") || n.getOp().equals("SplitV")) {
      count = (int) n.getAttrOrThrow("num_split").getI();
    } else if (n.getOp().startsWith("FusedBatchNorm")) {
      count = n.getOp().equals("FusedBatchNormV3") ? 6 : 5;
    } else if (n.getOp().equals("TopKV2")) {
      count = 2;
    } else if (FunctionalControlFlow.OPS.contains(n.getOp())) {
      count = FunctionalControlFlow.outputCount(n);
    }
    MapContext c = new MapContext(n, g, opset, ins, count);
    mapping.map(c);
    String[] outs = c.outputs();
    for (int i = 0; i < outs.length; i++) {
      if (outs[i] != null) {
        values.put(name + ":" + i, outs[i]);
      } else if (usedOutputs.contains(i)) {
        throw new UnsupportedInputException("its output " + i + " has no mapping");
      }
    }
  }

  private void constant(NodeDef n) {
    String name = n.getName();
    AttrValue lazyShape = n.getAttrMap().get(Freezer.LAZY_SHAPE_ATTR);
    DType dtype = DType.fromNumber(n.getAttrOrThrow("dtype").getTypeValue());
    ConstValue value;
    if (lazyShape != null) {
      long[] dims = lazyShape.getShape().getDimList().stream().mapToLong(d -> d.getSize()).toArray();
      value = ConstValue.ofData(lazy.get(name), dtype, dims);
    } else {
      value = ConstValue.of(Tensor.fromData(TensorProtos.toTensorData(n.getAttrOrThrow("value").getTensor(),
          "constant " + name)));
    }
    OnnxTypes.elemType(dtype);
    values.put(name + ":0", g.constant(name, value));
  }

  /** Evaluates a node of constant inputs in tfgw's runtime; false when the runtime cannot. */
  private boolean fold(NodeDef n, List<String> ins, Set<Integer> usedOutputs) {
    GraphDef.Builder mini = GraphDef.newBuilder();
    NodeDef.Builder copy = n.toBuilder().clearInput();
    for (int i = 0; i < ins.size(); i++) {
      Tensor t = g.constants.get(ins.get(i)).materialize();
      String cn = "__const_" + i;
      mini.addNode(NodeDef.newBuilder().setName(cn).setOp("Const")
          .putAttr("dtype", AttrValue.newBuilder().setTypeValue(t.dtype().number()).build())
          .putAttr("value", AttrValue.newBuilder().setTensor(TensorProtos.withTensorContent(t.dtype(), t.shape(),
              t.canonicalBytes())).build()));
      copy.addInput(cn);
    }
    copy.setName("__folded");
    mini.addNode(copy);
    mini.setLibrary(graph.getLibrary()); // a While or If of constants runs its functions
    List<Integer> outs = new ArrayList<>(usedOutputs.isEmpty() ? Set.of(0) : usedOutputs);
    List<String> fetches = outs.stream().map(i -> "__folded:" + i).toList();
    List<Tensor> results;
    try {
      results = new Session(mini.build()).run(Map.of(), fetches, List.of());
    } catch (RuntimeException e) {
      return false; // not a runtime op, or not evaluable: the mapping decides
    }
    for (int k = 0; k < outs.size(); k++) {
      Tensor t = results.get(k);
      if (t.dtype() == DType.STRING || t.dtype() == DType.RESOURCE || t.dtype() == DType.VARIANT) {
        return false;
      }
      values.put(n.getName() + ":" + outs.get(k), g.constant(n.getName() + (outs.get(k) == 0 ? "" : "_"
          + outs.get(k)), t));
    }
    return true;
  }

  /** The shape TF recorded for a tensor ({@code _output_shapes}), when the exporter could not infer it. */
  private long[] declaredOutputShape(String tensor) {
    TensorRef r = TensorRef.parse(tensor);
    NodeDef n = nodes.get(r.node());
    AttrValue a = n == null ? null : n.getAttrMap().get("_output_shapes");
    if (a == null || a.getList().getShapeCount() <= r.index()) {
      return null;
    }
    var s = a.getList().getShape(r.index());
    return s.getUnknownRank() ? null : s.getDimList().stream().mapToLong(d -> d.getSize() < 0 ? -1 : d.getSize())
        .toArray();
  }

  /** Nodes of the graph that the output needs, as a sorted set (for messages). */
  static Set<String> opsOf(GraphDef graph) {
    Set<String> ops = new LinkedHashSet<>();
    for (NodeDef n : graph.getNodeList()) {
      ops.add(n.getOp());
    }
    return ops;
  }
}
