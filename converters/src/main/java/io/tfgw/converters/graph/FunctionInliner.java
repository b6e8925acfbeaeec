package io.tfgw.converters.graph;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.OpRegistry;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.OpDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inlines function calls into the graph, as TF's grappler does before {@code convert_variables_to_constants_v2}:
 * every {@code PartitionedCall}/{@code StatefulPartitionedCall} (or direct call of a library function) that the
 * outputs need is replaced by the function's body under the call's name as a scope, and an {@code IdentityN} with
 * the call's own name carries the results, so consumers of {@code call:i} are unchanged. Nested calls are inlined
 * in turn. TF2 SavedModels keep their computation in such functions, with captured variables passed as resource
 * arguments; after inlining, their reads are ordinary {@code ReadVariableOp}s of the graph's {@code VarHandleOp}s.
 */
public final class FunctionInliner {
  private static final Set<String> CALL_OPS = Set.of("PartitionedCall", "StatefulPartitionedCall");
  private static final int MAX_ROUNDS = 64;

  private FunctionInliner() {}

  public static GraphDef inline(GraphDef graph, List<String> outputs) {
    Map<String, FunctionDef> library = new HashMap<>();
    graph.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
    GraphDef g = graph;
    for (int round = 0; round < MAX_ROUNDS; round++) {
      GraphIndex index = new GraphIndex(g);
      Set<String> needed = index.needed(outputs.stream().map(o -> TensorRef.parse(o).node()).toList());
      List<NodeDef> calls = new ArrayList<>();
      for (String n : needed) {
        NodeDef node = index.node(n);
        if (CALL_OPS.contains(node.getOp()) || library.containsKey(node.getOp())) {
          calls.add(node);
        }
      }
      if (calls.isEmpty()) {
        return g;
      }
      Set<String> callNames = new LinkedHashSet<>();
      calls.forEach(c -> callNames.add(c.getName()));
      GraphDef.Builder out = g.toBuilder().clearNode();
      for (NodeDef node : g.getNodeList()) {
        if (callNames.contains(node.getName())) {
          inlineCall(node, library, out);
        } else {
          out.addNode(node);
        }
      }
      g = out.build();
    }
    throw new UnsupportedInputException("Function calls nest more than " + MAX_ROUNDS + " deep (recursion?)");
  }

  private static void inlineCall(NodeDef call, Map<String, FunctionDef> library, GraphDef.Builder out) {
    String fname;
    Map<String, AttrValue> callAttrs;
    if (CALL_OPS.contains(call.getOp())) {
      AttrValue f = call.getAttrOrThrow("f");
      fname = f.getFunc().getName();
      callAttrs = f.getFunc().getAttrMap();
    } else {
      fname = call.getOp();
      callAttrs = call.getAttrMap();
    }
    FunctionDef f = library.get(fname);
    if (f == null) {
      throw new UnsupportedInputException("Node '" + call.getName() + "' calls function '" + fname
          + "', which the graph's library does not define");
    }
    OpDef sig = f.getSignature();
    String scope = call.getName() + "/";
    List<String> dataInputs = new ArrayList<>();
    List<String> controlInputs = new ArrayList<>();
    for (String in : call.getInputList()) {
      (in.startsWith("^") ? controlInputs : dataInputs).add(in);
    }
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i < sig.getInputArgCount(); i++) {
      args.put(sig.getInputArg(i).getName(), dataInputs.get(i));
    }
    Map<String, NodeDef> body = new HashMap<>();
    f.getNodeDefList().forEach(n -> body.put(n.getName(), n));
    for (NodeDef n : f.getNodeDefList()) {
      NodeDef.Builder b = n.toBuilder().setName(scope + n.getName()).clearInput().clearDevice();
      for (String in : n.getInputList()) {
        b.addInput(translate(in, scope, args, body, library, call));
      }
      if (n.getInputCount() == 0) {
        controlInputs.forEach(b::addInput); // keep the call's ordering constraints on body roots
      }
      for (Map.Entry<String, AttrValue> e : n.getAttrMap().entrySet()) {
        if (e.getValue().getValueCase() == AttrValue.ValueCase.PLACEHOLDER) {
          AttrValue bound = callAttrs.get(e.getValue().getPlaceholder());
          if (bound == null) {
            throw new UnsupportedInputException("Function '" + fname + "' node '" + n.getName() + "': attribute "
                + e.getKey() + " is a placeholder the call does not bind");
          }
          b.putAttr(e.getKey(), bound);
        }
      }
      out.addNode(b);
    }
    NodeDef.Builder results = NodeDef.newBuilder().setName(call.getName()).setOp("IdentityN");
    AttrValue.ListValue.Builder types = AttrValue.ListValue.newBuilder();
    for (int i = 0; i < sig.getOutputArgCount(); i++) {
      OpDef.ArgDef arg = sig.getOutputArg(i);
      results.addInput(translate(f.getRetOrThrow(arg.getName()), scope, args, body, library, call));
      if (arg.getTypeAttr().isEmpty()) {
        types.addType(arg.getType());
      } else {
        types.addType(callAttrs.get(arg.getTypeAttr()).getType());
      }
    }
    if (sig.getOutputArgCount() == 0) {
      results.setOp("NoOp");
    } else {
      results.putAttr("T", AttrValue.newBuilder().setList(types).build());
    }
    for (String controlRet : f.getControlRetMap().values()) {
      results.addInput("^" + scope + controlRet);
    }
    out.addNode(results);
  }

  /** A function-body input ({@code arg}, {@code node:out_arg:i}, {@code ^node}) as a graph input. */
  private static String translate(String in, String scope, Map<String, String> args, Map<String, NodeDef> body,
      Map<String, FunctionDef> library, NodeDef call) {
    if (in.startsWith("^")) {
      String name = in.substring(1);
      if (args.containsKey(name)) {
        return "^" + TensorRef.parse(args.get(name)).node();
      }
      return "^" + scope + name;
    }
    String[] parts = in.split(":");
    if (parts.length == 1 || (parts.length == 2 && args.containsKey(parts[0]))) {
      String arg = args.get(parts[0]);
      if (arg == null) {
        return scope + parts[0];
      }
      return arg;
    }
    NodeDef src = body.get(parts[0]);
    if (src == null) {
      throw new UnsupportedInputException("Function called by '" + call.getName() + "' refers to '" + in
          + "', which is not in its body");
    }
    int index = parts.length >= 3 ? Integer.parseInt(parts[2]) : 0;
    int offset;
    FunctionDef callee = library.get(src.getOp());
    if (callee != null) {
      offset = argIndex(callee.getSignature(), parts[1]);
    } else if (CALL_OPS.contains(src.getOp())) {
      offset = 0; // "output" is the call's only (list) output argument
    } else {
      offset = OpRegistry.outputArgOffset(src.getOp(), parts[1]);
    }
    if (offset < 0) {
      throw new UnsupportedInputException("Function called by '" + call.getName() + "': '" + in + "' names output "
          + parts[1] + " of a " + src.getOp() + ", which tfgw cannot place; freezing this model is not supported");
    }
    return scope + parts[0] + ":" + (offset + index);
  }

  private static int argIndex(OpDef sig, String arg) {
    for (int i = 0; i < sig.getOutputArgCount(); i++) {
      if (sig.getOutputArg(i).getName().equals(arg)) {
        return i;
      }
    }
    return -1;
  }
}
