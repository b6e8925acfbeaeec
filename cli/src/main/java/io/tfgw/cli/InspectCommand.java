package io.tfgw.cli;

import io.tfgw.converters.inspect.InspectOptions;
import io.tfgw.converters.inspect.InspectReport;
import io.tfgw.converters.inspect.Inspector;
import io.tfgw.converters.inspect.ValueSummary;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.core.tensor.TensorInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show what a checkpoint or model holds: format, variables (name, dtype, shape), signatures.",
    footer = {"", "Examples:",
        "  tfgw inspect model.ckpt-2000                 # V2 checkpoint by prefix",
        "  tfgw inspect train_dir/                      # latest checkpoint named in train_dir/checkpoint",
        "  tfgw inspect export/1 --json --hash          # SavedModel variables with sha256 per variable",
        "  tfgw inspect model.ckpt --tensor dense/kernel --values",
        "  tfgw inspect model.keras                     # Keras 3: keras_version, layers, weights, optimizer, assets",
        "  tfgw inspect model.h5                        # Keras: keras_version, backend, layers, weights",
        "  tfgw inspect model.safetensors --hash"})
final class InspectCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(paramLabel = "LOCATION", description = "Checkpoint prefix or file, directory, SavedModel, s3://..., a.tar.gz!/path")
  String location;

  @Option(names = "--json", description = "Print one JSON object (see the CLI contract).")
  boolean json;

  @Option(names = "--hash", description = "Add the canonical sha256 of every variable (reads and crc-checks all data).")
  boolean hash;

  @Option(names = "--tensor", paramLabel = "NAME", description = "Show only this tensor.")
  String tensor;

  @Option(names = "--values", description = "With --tensor: print its values (numpy-like) and statistics.")
  boolean values;

  @Override
  public Integer call() {
    if (values && tensor == null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--values needs --tensor NAME");
    }
    InspectReport report;
    try (StorageRouter storage = common.storage()) {
      InspectOptions options = InspectOptions.defaults().withHash(hash).withTensor(values ? tensor : null);
      report = new Inspector(storage).inspect(Location.parse(location), options);
    }
    List<InspectReport.Variable> vars = report.variables();
    if (tensor != null) {
      vars = vars.stream().filter(v -> v.info().name().equals(tensor)).toList();
      if (vars.isEmpty()) {
        throw new io.tfgw.core.WrongInputException("No tensor named '" + tensor + "' in " + report.location());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(toJson(report, vars)));
    } else {
      printWarnings(spec.commandLine().getErr(), report.warnings());
      printHuman(out, report, vars);
    }
    out.flush();
    return 0;
  }

  private Map<String, Object> toJson(InspectReport report, List<InspectReport.Variable> vars) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("location", report.location());
    m.put("format", report.format());
    List<Map<String, Object>> list = new ArrayList<>();
    for (InspectReport.Variable v : vars) {
      TensorInfo i = v.info();
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", i.name());
      e.put("dtype", i.dtype().pythonName());
      e.put("shape", i.shape().asList());
      if (v.sha256() != null) {
        e.put("sha256", v.sha256());
      }
      if (i.isPartitioned()) {
        e.put("slices", i.sliceSpecs());
      }
      if (v.storedBytes() >= 0) {
        e.put("bytes", v.storedBytes());
      }
      list.add(e);
    }
    m.put("variables", list);
    m.putAll(report.details());
    if (!report.notes().isEmpty()) {
      m.put("notes", report.notes());
    }
    if (!report.warnings().isEmpty()) {
      m.put("warnings", report.warnings());
    }
    if (report.tensorSummary() != null) {
      m.put("tensor", summaryJson(report.tensorSummary()));
    }
    return m;
  }

  /** Warnings go to stderr, so the listing on stdout stays what it always is (with --json they are fields). */
  static void printWarnings(PrintWriter err, List<String> warnings) {
    for (String w : warnings) {
      err.println("warning: " + w);
    }
    err.flush();
  }

  private static Map<String, Object> summaryJson(ValueSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("dtype", s.dtype().pythonName());
    m.put("shape", s.shape().asList());
    ValueSummary.Stats st = s.stats();
    if (st.min() != null) {
      Map<String, Object> stats = new LinkedHashMap<>();
      stats.put("min", JsonValues.number(st.min()));
      stats.put("max", JsonValues.number(st.max()));
      stats.put("mean", JsonValues.number(st.mean()));
      stats.put("std", JsonValues.number(st.std()));
      stats.put("nan", st.nan());
      stats.put("inf", st.inf());
      stats.put("zeros", st.zeros());
      m.put("stats", stats);
    }
    List<Object> values = new ArrayList<>(s.values().size());
    for (Object v : s.values()) {
      values.add(JsonValues.of(v));
    }
    m.put("values", values);
    if (s.truncated()) {
      m.put("values_truncated_to", ValueSummary.MAX_VALUES);
    }
    return m;
  }

  private void printHuman(PrintWriter out, InspectReport report, List<InspectReport.Variable> vars) {
    Map<String, Object> d = report.details();
    StringBuilder head = new StringBuilder(report.location()).append("  (").append(report.format());
    if (d.containsKey("num_shards")) {
      int shards = (Integer) d.get("num_shards");
      head.append(", ").append(shards).append(shards == 1 ? " shard" : " shards");
    }
    head.append(", ").append(report.variables().size()).append(report.variables().size() == 1 ? " variable" : " variables");
    if (d.get("total_bytes") instanceof Long total) {
      head.append(", ").append(Sizes.human(total));
    }
    if (Boolean.TRUE.equals(d.get("object_graph"))) {
      head.append(", TF2 object-based");
    }
    out.println(head.append(')'));
    for (String note : report.notes()) {
      out.println("note: " + note);
    }
    SavedModelText.print(out, d);
    KerasText.print(out, d);
    out.println();
    Table table = new Table(hash ? List.of("NAME", "DTYPE", "SHAPE", "BYTES", "SHA256") : List.of("NAME", "DTYPE", "SHAPE", "BYTES"));
    for (InspectReport.Variable v : vars) {
      TensorInfo i = v.info();
      String shape = i.shape().toString() + (i.isPartitioned() ? " in " + i.slices().size() + " slices" : "");
      List<String> row = new ArrayList<>(List.of(i.name(), i.dtype().pythonName(), shape,
          v.storedBytes() >= 0 ? Sizes.human(v.storedBytes()) : "?"));
      if (hash) {
        row.add(v.sha256());
      }
      table.add(row);
    }
    table.print(out);
    if (report.tensorSummary() != null) {
      ValueSummary s = report.tensorSummary();
      out.println();
      out.println(s.name() + ": " + s.dtype().pythonName() + " " + s.shape() + ", " + s.shape().numElements() + " elements");
      ValueSummary.Stats st = s.stats();
      if (st.min() != null) {
        out.printf("min %s  max %s  mean %s  std %s  (%d NaN, %d Inf, %d zeros)%n",
            fmt(st.min()), fmt(st.max()), fmt(st.mean()), fmt(st.std()), st.nan(), st.inf(), st.zeros());
      }
      out.println(s.toNumpyString());
    }
  }

  private static String fmt(double d) {
    return String.format("%.6g", d);
  }
}
