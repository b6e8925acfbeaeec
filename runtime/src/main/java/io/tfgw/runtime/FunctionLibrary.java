package io.tfgw.runtime;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.FunctionDef;
import io.tfgw.proto.FunctionDefLibrary;
import io.tfgw.proto.OpDef;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The functions of a graph's library, instantiated on first call. */
final class FunctionLibrary {
  private final Map<String, FunctionDef> defs = new HashMap<>();
  private final Map<String, Program> instantiated = new ConcurrentHashMap<>();

  FunctionLibrary(FunctionDefLibrary library) {
    for (FunctionDef f : library.getFunctionList()) {
      defs.put(f.getSignature().getName(), f);
    }
  }

  boolean contains(String name) {
    return defs.containsKey(name);
  }

  FunctionDef get(String name) {
    FunctionDef f = defs.get(name);
    if (f == null) {
      throw new UnsupportedInputException("The graph calls function '" + name + "', which its library does not "
          + "define");
    }
    return f;
  }

  int outputArgOffset(String function, String arg) {
    OpDef sig = get(function).getSignature();
    for (int i = 0; i < sig.getOutputArgCount(); i++) {
      if (sig.getOutputArg(i).getName().equals(arg)) {
        return i;
      }
    }
    return -1;
  }

  /** The program of a function; instantiations with attributes are cached by name and attributes. */
  Program instantiate(String name, Map<String, AttrValue> attrs) {
    String key = attrs.isEmpty() ? name : name + attrs;
    Program p = instantiated.get(key);
    if (p == null) {
      p = Program.fromFunction(get(name), attrs, this);
      instantiated.put(key, p);
    }
    return p;
  }
}
