package io.tfgw.converters.onnx;

import io.tfgw.converters.graph.FunctionInliner;
import io.tfgw.converters.graph.TensorRef;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.FunctionDefLibrary;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NameAttrList;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorShapeProto;
import io.tfgw.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TF2 functional control flow as ONNX control flow: {@code While}/{@code StatelessWhile} become a {@code Loop},
 * {@code If}/{@code StatelessIf} an {@code If}, {@code Case} a chain of {@code If}s. Each branch, body or condition
 * function is flattened (its own function calls inlined) and mapped into a subgraph by the same op mappings as the
 * top graph, so functions called inside (nested calls, loops, conditionals) recurse.
 *
 * <p>A TF2 while loop passes every value it uses as a loop variable, captured tensors and variables included, and
 * its body returns those unchanged. Such loop-invariant variables are read by the ONNX body from the scope around
 * the Loop instead of being carried, which keeps frozen weights constant inside the body (so the mappings that need
 * constant parameters still apply). TF's condition runs before every iteration; ONNX's Loop takes the first one as
 * an input and the others from the end of the body, so the condition function is mapped twice: before the Loop on
 * the initial values, and in the body on the values the iteration computed. {@code maximum_iterations} needs no
 * special case: TF2 folds it into the condition as a loop counter test ({@code parallel_iterations} is a scheduling
 * hint and is ignored).
 */
final class FunctionalControlFlow {
  static final Set<String> OPS = Set.of("While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase");

  private final FunctionDefLibrary library;
  private final Map<String, FunctionDef> functions = new HashMap<>();
  private final int opset;

  FunctionalControlFlow(FunctionDefLibrary library, int opset) {
    this.library = library;
    this.opset = opset;
    library.getFunctionList().forEach(f -> functions.put(f.getSignature().getName(), f));
  }

  /** The node's output count: one per loop variable for a While, its {@code Tout} otherwise. */
  static int outputCount(NodeDef n) {
    String key = n.getOp().endsWith("While") ? "T" : "Tout";
    AttrValue a = n.getAttrMap().get(key);
    return a == null ? 0 : a.getList().getTypeCount();
  }

  void map(MapContext c) {
    switch (c.op()) {
      case "While", "StatelessWhile" -> mapWhile(c);
      case "If", "StatelessIf" -> mapIf(c);
      default -> mapCase(c);
    }
  }

  // While -> Loop

  private void mapWhile(MapContext c) {
    NameAttrList condFn = c.attr("cond").getFunc();
    NameAttrList bodyFn = c.attr("body").getFunc();
    int n = c.inputCount();
    String scope = c.name() + "/body";
    GraphDef bodyGraph = functionGraph(bodyFn, scope, n);
    boolean[] invariant = new boolean[n];
    for (int k = 0; k < n; k++) {
      invariant[k] = passesThrough(bodyGraph, scope + ":" + k, argTensor(scope, k));
      if (!invariant[k] && c.attr("T").getList().getType(k) == DataType.DT_RESOURCE) {
        throw new UnsupportedInputException("loop variable " + k + " is a resource the body replaces; only "
            + "resources passed through unchanged (captured variables) can be exported");
      }
    }
    OnnxGraph body = c.g.subgraph();
    String iteration = body.fresh(c.name() + "/iteration");
    body.meta.put(iteration, new OnnxGraph.Meta(DType.INT64, new long[0]));
    body.inputs.add(new OnnxGraph.Port(iteration, DType.INT64, new long[0], null));
    String condIn = body.fresh(c.name() + "/cond_in");
    body.meta.put(condIn, new OnnxGraph.Meta(DType.BOOL, new long[0]));
    body.inputs.add(new OnnxGraph.Port(condIn, DType.BOOL, new long[0], null));
    List<String> args = new ArrayList<>();
    List<Integer> carried = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      if (invariant[k]) {
        args.add(c.in(k));
        continue;
      }
      carried.add(k);
      OnnxGraph.Meta m = carriedMeta(c, k);
      String v = body.fresh(c.name() + "/carried_" + k);
      body.meta.put(v, m);
      body.inputs.add(new OnnxGraph.Port(v, m.dtype(), m.shape(), null));
      args.add(v);
    }
    List<String> next = TfToOnnx.convertInto(bodyGraph, body, opset, bindings(scope, args), results(scope, n),
        "its body function '" + bodyFn.getName() + "'");
    List<String> nextArgs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      nextArgs.add(invariant[k] ? c.in(k) : next.get(k));
    }
    String condOut = condition(single(call(condFn, c.name() + "/cond", nextArgs, body, "its condition function")),
        body, c.name());
    body.addSubgraphOutput(condOut, c.name() + "/cond_out", opset);
    for (int k : carried) {
      body.addSubgraphOutput(next.get(k), c.name() + "/next_" + k, opset);
    }
    String first = condition(single(call(condFn, c.name() + "/cond_first", inputs(c), c.g,
        "its condition function")), c.g, c.name());
    List<String> loopIns = new ArrayList<>();
    loopIns.add(""); // no trip count: TF's condition alone ends the loop
    loopIns.add(first);
    List<String> outs = new ArrayList<>();
    for (int k : carried) {
      loopIns.add(c.in(k));
      String v = c.g.fresh(c.name() + "/Loop_" + k);
      c.g.meta.put(v, carriedMeta(c, k));
      outs.add(v);
    }
    c.g.add("Loop", c.g.fresh("node:" + c.name() + "/Loop"), loopIns, outs).attr("body", body);
    for (int k = 0, j = 0; k < n; k++) {
      c.output(k, invariant[k] ? c.in(k) : outs.get(j++));
    }
  }

  /**
   * What a carried variable is known to be in every iteration: its type, and the shape TF recorded for the loop's
   * output (which follows {@code shape_invariants}: a dimension that changes is unknown there).
   */
  private static OnnxGraph.Meta carriedMeta(MapContext c, int k) {
    OnnxGraph.Meta initial = c.meta(k);
    if (initial.sequence()) {
      return new OnnxGraph.Meta(initial.dtype(), null, true);
    }
    return new OnnxGraph.Meta(initial.dtype(), declaredShape(c, k));
  }

  private static long[] declaredShape(MapContext c, int k) {
    AttrValue shapes = c.attr("output_shapes");
    if (shapes == null || shapes.getList().getShapeCount() <= k) {
      return null;
    }
    TensorShapeProto s = shapes.getList().getShape(k);
    return s.getUnknownRank() ? null : s.getDimList().stream().mapToLong(d -> d.getSize() < 0 ? -1 : d.getSize())
        .toArray();
  }

  /** Whether a function result is its argument unchanged (through Identity nodes). */
  private static boolean passesThrough(GraphDef graph, String result, String arg) {
    Map<String, NodeDef> nodes = new HashMap<>();
    graph.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    TensorRef r = TensorRef.parse(result);
    for (int depth = 0; depth < 1000; depth++) {
      if (r.tensorName().equals(arg)) {
        return true;
      }
      NodeDef n = nodes.get(r.node());
      if (n == null) {
        return false;
      }
      if (n.getOp().equals("IdentityN")) {
        r = TensorRef.parse(dataInputs(n).get(r.index()));
      } else if (n.getOp().equals("Identity") && r.index() == 0) {
        r = TensorRef.parse(dataInputs(n).get(0));
      } else {
        return false;
      }
    }
    return false;
  }

  private static List<String> dataInputs(NodeDef n) {
    return n.getInputList().stream().filter(i -> !i.startsWith("^")).toList();
  }

  private static String single(List<String> results) {
    if (results.size() != 1) {
      throw new UnsupportedInputException("its condition function returns " + results.size() + " values, not one");
    }
    return results.get(0);
  }

  /** A condition result as ONNX wants it: a bool (TF takes any scalar, nonzero being true). */
  private static String condition(String value, OnnxGraph g, String name) {
    OnnxGraph.Meta m = g.meta(value);
    if (m.rank() > 0) {
      throw new UnsupportedInputException("its condition is a tensor of rank " + m.rank() + ", not a scalar");
    }
    if (m.dtype() == DType.BOOL) {
      return value;
    }
    if (m.dtype() == DType.STRING) {
      throw new UnsupportedInputException("its condition is a string");
    }
    String v = g.fresh(name + "/as_bool");
    g.meta.put(v, new OnnxGraph.Meta(DType.BOOL, m.shape()));
    g.add("Cast", g.fresh("node:" + name + "/as_bool"), List.of(value), List.of(v))
        .attr("to", OnnxTypes.elemType(DType.BOOL));
    return v;
  }

  // If -> If, Case -> nested Ifs

  private void mapIf(MapContext c) {
    String cond = condition(c.in(0), c.g, c.name());
    List<String> args = inputs(c).subList(1, c.inputCount());
    List<String> outs = emitIf(c, c.g, cond, c.attr("then_branch").getFunc(), args,
        sub -> call(c.attr("else_branch").getFunc(), c.name() + "/else", args, sub, "its else branch"));
    for (int k = 0; k < outs.size(); k++) {
      c.output(k, outs.get(k));
    }
  }

  /** TF's Case runs branch {@code i}, or the last branch for an index out of range: {@code If(i == 0, b0, If(...))}. */
  private void mapCase(MapContext c) {
    List<NameAttrList> branches = c.attr("branches").getList().getFuncList();
    if (branches.isEmpty()) {
      throw new UnsupportedInputException("it has no branches");
    }
    String index = c.in(0);
    List<String> args = inputs(c).subList(1, c.inputCount());
    List<String> outs = caseFrom(c, c.g, index, branches, 0, args);
    for (int k = 0; k < outs.size(); k++) {
      c.output(k, outs.get(k));
    }
  }

  private List<String> caseFrom(MapContext c, OnnxGraph g, String index, List<NameAttrList> branches, int i,
      List<String> args) {
    if (i == branches.size() - 1) {
      return call(branches.get(i), c.name() + "/branch" + i, args, g, "its branch " + i);
    }
    DType indexType = g.meta(index).dtype();
    Tensor iValue = indexType == DType.INT64 ? Tensor.scalar((long) i) : Tensor.scalar(i);
    String is = g.fresh(c.name() + "/is_branch" + i);
    g.meta.put(is, new OnnxGraph.Meta(DType.BOOL, new long[0]));
    g.add("Equal", g.fresh("node:" + c.name() + "/is_branch" + i), List.of(index, g.constant(c.name() + "/branch"
        + i + "_index", iValue)), List.of(is));
    return emitIf(c, g, is, branches.get(i), args, sub -> caseFrom(c, sub, index, branches, i + 1, args));
  }

  /** An If in {@code g} whose then branch calls {@code thenFn} and whose else branch {@code elseBranch} builds. */
  private List<String> emitIf(MapContext c, OnnxGraph g, String cond, NameAttrList thenFn, List<String> args,
      java.util.function.Function<OnnxGraph, List<String>> elseBranch) {
    OnnxGraph thenGraph = g.subgraph();
    List<String> thenOuts = call(thenFn, c.name() + "/then", args, thenGraph, "its then branch");
    OnnxGraph elseGraph = g.subgraph();
    List<String> elseOuts = elseBranch.apply(elseGraph);
    if (thenOuts.size() != elseOuts.size()) {
      throw new UnsupportedInputException("its branches return " + thenOuts.size() + " and " + elseOuts.size()
          + " values");
    }
    List<String> outs = new ArrayList<>();
    for (int k = 0; k < thenOuts.size(); k++) {
      OnnxGraph.Meta a = g.meta(thenOuts.get(k));
      OnnxGraph.Meta b = g.meta(elseOuts.get(k));
      if (a.dtype() != b.dtype() || a.sequence() != b.sequence()) {
        throw new UnsupportedInputException("its branches return different types for result " + k);
      }
      thenGraph.addSubgraphOutput(thenOuts.get(k), c.name() + "/then_" + k, opset);
      elseGraph.addSubgraphOutput(elseOuts.get(k), c.name() + "/else_" + k, opset);
      String v = g.fresh(c.name() + "/If_" + k);
      long[] declared = declaredShape(c, k);
      long[] shape = declared != null ? declared
          : a.shape() != null && b.shape() != null && java.util.Arrays.equals(a.shape(), b.shape()) ? a.shape() : null;
      g.meta.put(v, new OnnxGraph.Meta(a.dtype(), a.sequence() ? null : shape, a.sequence()));
      outs.add(v);
    }
    g.add("If", g.fresh("node:" + c.name() + "/If"), List.of(cond), outs).attr("then_branch", thenGraph)
        .attr("else_branch", elseGraph);
    return outs;
  }

  // functions as graphs

  /** Maps a call of {@code fn} on ONNX values {@code args} into {@code into}; returns its results there. */
  private List<String> call(NameAttrList fn, String scope, List<String> args, OnnxGraph into, String what) {
    GraphDef graph = functionGraph(fn, scope, args.size());
    return TfToOnnx.convertInto(graph, into, opset, bindings(scope, args), results(scope,
        signature(fn).getOutputArgCount()), what + " '" + fn.getName() + "'");
  }

  private io.tfgw.proto.OpDef signature(NameAttrList fn) {
    FunctionDef f = functions.get(fn.getName());
    if (f == null) {
      throw new UnsupportedInputException("it calls function '" + fn.getName() + "', which the graph's library "
          + "does not define");
    }
    return f.getSignature();
  }

  /**
   * A function as a graph of its own: one Placeholder per argument ({@code SCOPE/arg_i}), a call that the
   * {@link FunctionInliner} replaces by the body (nested calls inlined too), results {@code SCOPE:k}. Variables
   * reach a TF2 function as resource arguments read by {@code ReadVariableOp}; frozen, each argument is the
   * variable's value, so a read passes it through.
   */
  private GraphDef functionGraph(NameAttrList fn, String scope, int argCount) {
    io.tfgw.proto.OpDef sig = signature(fn);
    if (sig.getInputArgCount() != argCount) {
      throw new UnsupportedInputException("function '" + fn.getName() + "' takes " + sig.getInputArgCount()
          + " arguments, but the node passes " + argCount);
    }
    GraphDef.Builder b = GraphDef.newBuilder().setLibrary(library);
    NodeDef.Builder callNode = NodeDef.newBuilder().setName(scope).setOp("PartitionedCall")
        .putAttr("f", AttrValue.newBuilder().setFunc(fn).build());
    for (int i = 0; i < argCount; i++) {
      String arg = scope + "/arg_" + i;
      b.addNode(NodeDef.newBuilder().setName(arg).setOp("Placeholder"));
      callNode.addInput(arg);
    }
    b.addNode(callNode);
    List<String> outs = new ArrayList<>();
    for (int k = 0; k < sig.getOutputArgCount(); k++) {
      outs.add(scope + ":" + k);
    }
    GraphDef flat = FunctionInliner.inline(b.build(), outs);
    GraphDef.Builder cleaned = flat.toBuilder().clearNode();
    for (NodeDef n : flat.getNodeList()) {
      if (n.getOp().equals("ReadVariableOp")) {
        cleaned.addNode(n.toBuilder().setOp("Identity").removeAttr("dtype").putAttr("T", n.getAttrOrThrow("dtype")));
      } else {
        cleaned.addNode(n);
      }
    }
    return cleaned.build();
  }

  private static String argTensor(String scope, int i) {
    return scope + "/arg_" + i + ":0";
  }

  private static Map<String, String> bindings(String scope, List<String> args) {
    Map<String, String> bound = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      bound.put(argTensor(scope, i), args.get(i));
    }
    return bound;
  }

  private static List<String> results(String scope, int count) {
    List<String> outs = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      outs.add(scope + ":" + k);
    }
    return outs;
  }

  private static List<String> inputs(MapContext c) {
    List<String> ins = new ArrayList<>();
    for (int i = 0; i < c.inputCount(); i++) {
      ins.add(c.in(i));
    }
    return ins;
  }
}
