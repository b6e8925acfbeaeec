package io.tfgw.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** Prints the Keras (.keras, HDF5) / safetensors part of an inspect report. */
final class KerasText {
  private KerasText() {}

  @SuppressWarnings("unchecked")
  static void print(PrintWriter out, Map<String, Object> d) {
    if (d.containsKey("metadata")) {
      out.println("metadata " + d.get("metadata"));
    }
    if (!d.containsKey("layout")) {
      return;
    }
    if (!d.containsKey("keras_version")) {
      out.println("HDF5 layout: plain (not a Keras file: one tensor per dataset)");
      if (d.containsKey("skipped_datasets")) {
        out.println("skipped (no tensor type): " + d.get("skipped_datasets"));
      }
      return;
    }
    out.printf("Keras %s%s, keras_version %s%s%s%s%s%n", d.containsKey("model_class") ? d.get("model_class") + " " : "",
        d.get("kind"), d.get("keras_version"), d.containsKey("backend") ? ", backend " + d.get("backend") : "",
        d.containsKey("date_saved") ? ", saved " + d.get("date_saved") : "",
        Boolean.TRUE.equals(d.get("training_config")) ? ", compiled" : "",
        d.containsKey("optimizer_weights") ? ", " + d.get("optimizer_weights") + " optimizer weights" : "");
    if (String.valueOf(d.get("layout")).startsWith("keras3")) {
      out.println("weights layout: " + d.get("layout"));
    }
    Table t = new Table(List.of("LAYER", "CLASS", "WEIGHTS"));
    for (Object o : (List<Object>) d.get("layers")) {
      Map<String, Object> l = (Map<String, Object>) o;
      t.add(List.of(String.valueOf(l.get("name")), String.valueOf(l.getOrDefault("class", "")),
          String.valueOf(l.get("weights"))));
    }
    t.print(out);
    if (d.containsKey("unsupported_layers")) {
      out.println("not convertible to a TF graph yet: " + d.get("unsupported_layers"));
    }
    if (d.containsKey("model_config_error")) {
      out.println("model_config: " + d.get("model_config_error"));
    }
    if (d.containsKey("assets")) {
      out.println("assets: " + d.get("assets"));
    }
    if (d.containsKey("other_entries")) {
      out.println("other entries: " + d.get("other_entries"));
    }
    if (d.containsKey("weight_notes")) {
      ((List<Object>) d.get("weight_notes")).forEach(n -> out.println("note: " + n));
    }
  }
}
