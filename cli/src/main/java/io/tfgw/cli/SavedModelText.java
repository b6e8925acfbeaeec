package io.tfgw.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** Prints the SavedModel part of an inspect report the way {@code saved_model_cli show --all} reads. */
final class SavedModelText {
  private SavedModelText() {}

  @SuppressWarnings("unchecked")
  static void print(PrintWriter out, Map<String, Object> details) {
    Object graphs = details.get("meta_graphs");
    if (!(graphs instanceof List<?> list)) {
      return;
    }
    for (Object o : list) {
      Map<String, Object> g = (Map<String, Object>) o;
      out.printf("MetaGraph tags %s%s, %s graph nodes, %s functions%n", g.get("tags"),
          g.containsKey("tensorflow_version") ? " (TensorFlow " + g.get("tensorflow_version") + ")" : "",
          g.get("graph_nodes"), g.get("functions"));
      Map<String, Object> sigs = (Map<String, Object>) g.get("signatures");
      for (Map.Entry<String, Object> s : sigs.entrySet()) {
        Map<String, Object> sig = (Map<String, Object>) s.getValue();
        out.printf("  signature '%s' (%s)%n", s.getKey(), sig.get("method_name"));
        printTensors(out, "inputs ", (Map<String, Object>) sig.get("inputs"));
        printTensors(out, "outputs", (Map<String, Object>) sig.get("outputs"));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void printTensors(PrintWriter out, String label, Map<String, Object> tensors) {
    for (Map.Entry<String, Object> t : tensors.entrySet()) {
      Map<String, Object> info = (Map<String, Object>) t.getValue();
      Object shape = info.get("shape");
      out.printf("    %s %s: %s %s %s%n", label, t.getKey(), info.get("name"), info.get("dtype"),
          shape == null ? "(unknown rank)" : shape.toString().replace("-1", "?"));
    }
  }
}
