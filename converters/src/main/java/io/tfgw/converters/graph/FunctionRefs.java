package io.tfgw.converters.graph;

import io.tfgw.proto.AttrValue;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.FunctionDefLibrary;
import io.tfgw.proto.NameAttrList;
import io.tfgw.proto.NodeDef;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The functions a set of nodes calls, directly (op name, {@code func} attrs) or through other functions. */
public final class FunctionRefs {
  private FunctionRefs() {}

  public static FunctionDefLibrary prune(FunctionDefLibrary library, Iterable<NodeDef> nodes) {
    if (library.getFunctionCount() == 0) {
      return library;
    }
    Map<String, FunctionDef> byName = new HashMap<>();
    library.getFunctionList().forEach(f -> byName.put(f.getSignature().getName(), f));
    Set<String> used = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (NodeDef n : nodes) {
      collect(n, byName, todo);
    }
    while (!todo.isEmpty()) {
      String f = todo.pop();
      if (used.add(f)) {
        for (NodeDef n : byName.get(f).getNodeDefList()) {
          collect(n, byName, todo);
        }
      }
    }
    FunctionDefLibrary.Builder b = FunctionDefLibrary.newBuilder();
    for (FunctionDef f : library.getFunctionList()) {
      if (used.contains(f.getSignature().getName())) {
        b.addFunction(f);
      }
    }
    library.getGradientList().stream().filter(g -> used.contains(g.getFunctionName())).forEach(b::addGradient);
    return b.build();
  }

  private static void collect(NodeDef n, Map<String, FunctionDef> byName, Deque<String> todo) {
    if (byName.containsKey(n.getOp())) {
      todo.push(n.getOp());
    }
    for (AttrValue v : n.getAttrMap().values()) {
      if (v.hasFunc()) {
        addFunc(v.getFunc(), byName, todo);
      }
      if (v.hasList()) {
        for (NameAttrList f : v.getList().getFuncList()) {
          addFunc(f, byName, todo);
        }
      }
    }
  }

  private static void addFunc(NameAttrList f, Map<String, FunctionDef> byName, Deque<String> todo) {
    if (byName.containsKey(f.getName())) {
      todo.push(f.getName());
    }
  }
}
