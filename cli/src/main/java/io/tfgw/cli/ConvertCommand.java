package io.tfgw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tfgw.converters.convert.CheckpointConverter;
import io.tfgw.converters.convert.ConvertOptions;
import io.tfgw.converters.convert.ConvertResult;
import io.tfgw.converters.convert.KerasConverter;
import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.onnx.OnnxExporter;
import io.tfgw.converters.onnx.OnnxTypes;
import io.tfgw.converters.verify.CheckpointComparison;
import io.tfgw.converters.verify.Tolerance;
import io.tfgw.converters.verify.VerifiableModels;
import io.tfgw.converters.verify.Verifier;
import io.tfgw.converters.convert.TensorFileConverter;
import io.tfgw.converters.hdf5.Hdf5Writer;
import io.tfgw.converters.keras.KerasFileWriter;
import io.tfgw.converters.convert.NamePlan;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Convert a checkpoint or model to another format, from any location to any location.",
    footer = {"", "Examples:",
        "  tfgw convert model.ckpt out/model.ckpt --to v2          # a 2016 V1 checkpoint to V2 (.meta carried)",
        "  tfgw convert train_dir/ out_dir/ --to v2 --all          # every checkpoint its state file lists",
        "  tfgw convert model.ckpt-9 out/ckpt --to v2 --ema --no-meta     # moving averages as the variables",
        "  tfgw convert old.ckpt new.ckpt --to v2 --rnn-tf1.2 --no-meta   # TF 1.0 RNN names to TF 1.2+",
        "  tfgw convert a.ckpt b.ckpt --to v1 --rename '^model/=net/' --no-meta",
        "  tfgw convert model.keras export/1 --to savedmodel --verify     # Keras 3 .keras -> SavedModel, checked",
        "  tfgw convert model.keras ckpt/model --to v2                    # its weights as dense/kernel, lstm/lstm_cell/bias",
        "  tfgw convert model.weights.h5 export/1 --to savedmodel --keras-config model.keras   # Keras 3 save_weights",
        "  tfgw convert model.h5 export/1 --to savedmodel                 # Keras .h5 -> SavedModel (graph from model_config)",
        "  tfgw convert model.h5 frozen.pb --to frozen",
        "  tfgw convert weights.h5 export/1 --to savedmodel --keras-config model.json   # weights-only file + to_json()",
        "  tfgw convert model.h5 ckpt/model --to v2                       # Keras weights as a checkpoint",
        "  tfgw convert model.h5 model.keras --to keras                   # legacy Keras .h5 -> Keras 3 .keras",
        "  tfgw convert model.keras model.weights.h5 --to keras-weights   # Keras 3 save_weights file",
        "  tfgw convert ckpt/model new.keras --to keras --keras-config model.keras   # weights + architecture",
        "  tfgw convert export/1 weights.h5 --to hdf5                     # Keras save_weights layout (layer/kernel:0)",
        "  tfgw convert model.ckpt all.h5 --to hdf5 --layout plain        # one dataset per variable",
        "  tfgw convert model.ckpt model.safetensors --to safetensors",
        "  tfgw convert export/1 model.onnx --to onnx                     # SavedModel/frozen/.meta/.h5 -> ONNX (opset 17)",
        "  tfgw convert frozen.pb model.onnx --to onnx --outputs logits:0 --batch-dim 1 --opset 13",
        "",
        "HDF5 layouts: 'keras' (default) groups variables by their first path segment as Keras layers, with",
        "layer_names/weight_names attributes (split above 64512 bytes as Keras does); 'plain' writes one dataset per",
        "variable, groups by '/'. HDF5 output cannot hold float16/bfloat16 or empty tensors (jhdf limits).",
        "",
        "Renames apply in order after --include/--exclude and --ema; a rename that makes two tensors collide is an",
        "error. Patterns: globs ('*' within a path segment, '**' across; 'dense' also matches 'dense/kernel'),",
        "or regexes with the prefix 're:'."})
final class ConvertCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "SRC", description = "Checkpoint prefix or file, directory with a checkpoint state file, ...")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "Checkpoint prefix to write (a directory when it ends with '/' or with --all).")
  String destination;

  @Option(names = "--to", required = true, paramLabel = "FORMAT",
      description = "Target format: v1, v2, savedmodel, frozen, hdf5, safetensors, onnx, keras, keras-weights.")
  String format;

  @Option(names = "--layout", paramLabel = "keras|plain", defaultValue = "keras",
      description = "--to hdf5: Keras weights layout (default) or one dataset per variable.")
  String layout;

  @Option(names = "--keras-config", paramLabel = "FILE",
      description = "The model architecture (model.to_json() output, a .keras's config.json, the .keras, or a "
          + "legacy .h5 full model) for a "
          + "Keras weights-only file (.h5, .weights.h5) to savedmodel/frozen/onnx/keras, or for a checkpoint whose "
          + "variables carry Keras 3 paths to keras/keras-weights.")
  String kerasConfig;

  @Option(names = "--merge-partitions", description = "Write partitioned variables as whole tensors.")
  boolean mergePartitions;

  @Option(names = "--all", description = "Convert every checkpoint listed in the source's checkpoint state file.")
  boolean all;

  @Option(names = "--rename", paramLabel = "REGEX=REPLACEMENT", description = "Rename tensors (repeatable, applied in order).")
  List<String> renames = new ArrayList<>();

  @Option(names = "--map", paramLabel = "FILE.json", description = "Rename by a JSON object {\"old name\": \"new name\", ...}.")
  String mapFile;

  @Option(names = "--ema", description = "Take X/ExponentialMovingAverage as X and drop the shadow variables.")
  boolean ema;

  @Option(names = "--rnn-tf1.2", description = "Rename TF 1.0/1.1 RNN cell variables (weights/biases) to TF 1.2+ (kernel/bias).")
  boolean rnnTf12;

  @Option(names = "--include", paramLabel = "PATTERN", description = "Keep only matching tensors (repeatable).")
  List<String> includes = new ArrayList<>();

  @Option(names = "--exclude", paramLabel = "PATTERN", description = "Drop matching tensors (repeatable).")
  List<String> excludes = new ArrayList<>();

  @Option(names = "--no-meta", description = "Do not carry the source's .meta graph along.")
  boolean noMeta;

  @Option(names = "--max-shard-size", paramLabel = "SIZE", description = "V2: split data into shards of at most SIZE (e.g. 2G, 500M).")
  String maxShardSize;

  @Option(names = "--outputs", split = ",", paramLabel = "NAME",
      description = "Graph outputs to keep (node or tensor names, e.g. y or y:0); default: the signature's outputs.")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--inputs", split = ",", paramLabel = "NAME", description = "Graph inputs for a new signature (default: the Placeholders the outputs need).")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--signature", paramLabel = "KEY", description = "SavedModel signature to use (default: serving_default).")
  String signature;

  @Option(names = "--tag", paramLabel = "TAG", description = "SavedModel MetaGraph tag (default: serve).")
  String tag;

  @Option(names = "--thaw", description = "Frozen graph to SavedModel: large float constants become variables.")
  boolean thaw;

  @Option(names = "--thaw-min-bytes", paramLabel = "SIZE", defaultValue = "1K",
      description = "With --thaw: the smallest constant to turn into a variable (default: ${DEFAULT-VALUE}).")
  String thawMinBytes;

  @Option(names = "--verify", description = "Check the result: models run on the same inputs in tfgw's runtime and "
      + "must give bit-identical outputs (--to onnx: within --tolerance); checkpoints must hold the same tensors. "
      + "Exit 3 on a difference.")
  boolean verify;

  @Option(names = "--tolerance", paramLabel = "exact|ulp:N|rel:X",
      description = "With --verify of a model: how far float outputs may differ (ulp:N = N ulps of each output's "
          + "largest magnitude, rel:X = X times it); default exact, ulp:64 for --to onnx.")
  String tolerance;

  @Option(names = "--verify-inputs", paramLabel = "FILE.json",
      description = "With --verify: inputs to run (as `run --inputs` takes them) instead of generated ones.")
  String verifyInputs;

  @Option(names = "--samples", defaultValue = "3", description = "With --verify: generated input batches (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--seed", defaultValue = "1", description = "With --verify: seed of the generated inputs (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--opset", paramLabel = "N", defaultValue = "17",
      description = "--to onnx: the ONNX opset to write, 13 to 22 (default ${DEFAULT-VALUE}).")
  int opset;

  @Option(names = "--batch-dim", paramLabel = "symbolic|N", defaultValue = "symbolic",
      description = "--to onnx: inputs' unknown first dimension stays symbolic ('batch', default) or becomes N.")
  String batchDim;

  @Option(names = "--external-data", description = "--to onnx: keep the weights in DST.data beside the model "
      + "(automatic past 2 GiB).")
  boolean externalData;

  @Option(names = "--json", description = "Print what was written as one JSON object.")
  boolean json;

  /** What a conversion reports: one JSON object, and lines for people. */
  private record Report(Map<String, Object> json, List<String> lines) {
    Report() {
      this(new LinkedHashMap<>(), new ArrayList<>());
    }
  }

  @Override
  public Integer call() throws IOException {
    String to = format.toLowerCase(Locale.ROOT);
    if (!List.of("v1", "v2", "savedmodel", "frozen", "hdf5", "safetensors", "onnx", "keras", "keras-weights")
        .contains(to)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--to must be one of v1, v2, savedmodel, "
          + "frozen, hdf5, safetensors, onnx, keras, keras-weights (got '" + format + "')");
    }
    if (!to.equals("onnx") && (externalData || !batchDim.equals("symbolic") || opset != OnnxTypes.DEFAULT_OPSET)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--opset, --batch-dim and --external-data apply to --to onnx");
    }
    if (kerasConfig != null && !List.of("frozen", "savedmodel", "onnx", "keras", "keras-weights").contains(to)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--keras-config applies to --to savedmodel, frozen, onnx, keras and keras-weights");
    }
    Tolerance givenTolerance = Tolerances.parse(tolerance, spec.commandLine());
    if (givenTolerance != null && (!verify || List.of("v1", "v2", "hdf5", "safetensors").contains(to))) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--tolerance applies to --verify of "
          + "models (--to savedmodel, frozen or onnx); checkpoints and weight files are compared tensor by tensor, "
          + "exactly");
    }
    try (StorageRouter storage = common.storage()) {
      long start = System.nanoTime();
      Location src = Location.parse(source);
      Location dst = Location.parse(destination);
      Report report = new Report();
      java.util.function.Supplier<Boolean> check;
      switch (to) {
        case "frozen", "savedmodel" -> {
          ModelConverter.Result r = convertModel(storage, to, src, dst);
          describeModel(r, report);
          check = () -> verifyModels(storage, src, r.destination(), null, r.outputs(),
              givenTolerance != null ? givenTolerance : Tolerance.EXACT, report);
        }
        case "onnx" -> {
          OnnxExporter.Result r = new OnnxExporter(storage).export(src, dst, onnxOptions());
          describeOnnx(r, report);
          // the ONNX side runs in tfgw's runtime through the ONNX reader; the export folds batch norms and transposes
          // weights, which moves float results by ulps, so the default is the bound ONNX Runtime is held to vs TF
          check = () -> verifyOnnx(storage, src, r.destination(), r.outputs(),
              givenTolerance != null ? givenTolerance : Tolerance.ONNX, report);
        }
        case "keras", "keras-weights" -> {
          KerasFileWriter writer = new KerasFileWriter(storage);
          Location cfg = kerasConfig == null ? null : Location.parse(kerasConfig);
          KerasFileWriter.Result r = to.equals("keras") ? writer.toKeras(src, dst, cfg)
              : writer.toKerasWeights(src, dst, cfg);
          describeKeras(r, report);
          if (r.sourceFormat().equals("keras") || r.sourceFormat().equals("hdf5")) {
            // the written file runs in tfgw's runtime against the source (a .weights.h5 with the source's config)
            Location dstConfig = to.equals("keras") ? null : cfg != null ? cfg : src;
            check = () -> verifyModels(storage, src, r.destination(), dstConfig, List.of(),
                givenTolerance != null ? givenTolerance : Tolerance.EXACT, report);
          } else { // a checkpoint has no model to run: each written variable against its source tensor
            check = () -> verifyWritten(storage, src, r.destination(), report);
          }
        }
        case "hdf5", "safetensors" -> {
          NamePlan names = namePlan(storage);
          TensorFileConverter c = new TensorFileConverter(storage);
          TensorFileConverter.Result r = to.equals("hdf5") ? c.toHdf5(src, dst, names, layout())
              : c.toSafetensors(src, dst, names);
          describeFile(r, report);
          check = () -> verifyCheckpoints(storage, java.util.Collections.singletonList(new Location[] {src, r.destination()}), names, report);
        }
        default -> {
          NamePlan names = namePlan(storage);
          boolean dstIsDir = destination.endsWith("/") || destination.endsWith("!") || storage.isDirectory(dst);
          ConvertOptions options = ConvertOptions.to(to).withNames(names).withMergePartitions(mergePartitions)
              .withAll(all).withCarryMeta(!noMeta).withMaxShardBytes(maxShardSize == null ? 0 : parseSize(maxShardSize))
              .withDestinationIsDirectory(dstIsDir);
          ConvertResult result = new CheckpointConverter(storage).convert(src, dst, options,
              ProgressLine.forConvert(common.quiet || json));
          describeCheckpoints(result, report);
          check = () -> verifyCheckpoints(storage, result.checkpoints().stream()
              .map(c -> new Location[] {c.source(), c.destination()}).toList(), names, report);
        }
      }
      storage.commit(); // archive destinations appear only now
      report.json().put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1000.0);
      report.lines().add(String.format("done in %.2f s", (System.nanoTime() - start) / 1e9));
      boolean identical;
      try {
        identical = !verify || check.get();
      } catch (io.tfgw.core.TfgwException e) {
        if (to.equals("onnx")) {
          printReport(report, false); // the export's own lines first: its file is there, complete (see verifyOnnx)
        }
        throw e;
      }
      printReport(report, identical);
      return identical ? 0 : Main.EXIT_DIFFERENCE;
    }
  }

  private void printReport(Report report, boolean identical) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(report.json()));
    } else if (!common.quiet || !identical) {
      report.lines().forEach(out::println);
    }
    out.flush();
  }

  /**
   * {@link #verifyModels} of an ONNX export. The file is complete before tfgw reads it back, so when tfgw cannot
   * read or run it (ONNX sequences, which TensorArrays and TensorLists export as, have no runtime ops; a Loop body
   * op the reader lacks) the answer says the file was written and what could not be checked, and names ONNX
   * Runtime, which runs every file tfgw writes (the tests judge them there), rather than the reader's "nothing was
   * run or written". Exit 1 as for any error: no difference was found, nothing was compared.
   */
  private boolean verifyOnnx(StorageRouter storage, Location src, Location dst, List<String> convertedOutputs,
      Tolerance tolerance, Report report) {
    try {
      return verifyModels(storage, src, dst, null, convertedOutputs, tolerance, report);
    } catch (io.tfgw.core.TfgwException e) {
      throw new io.tfgw.core.UnsupportedInputException(dst + " was written (the ONNX export is complete), but tfgw could not verify "
          + "it: " + e.getMessage().replace(io.tfgw.converters.onnx.read.OnnxImporter.NOTHING_RUN, "")
          + " To check the file, run it in ONNX Runtime (for example Python's onnxruntime.InferenceSession) and "
          + "compare with the source run in TensorFlow.");
    }
  }

  private OnnxExporter.Options onnxOptions() {
    try {
      OnnxExporter.checkOpset(opset);
    } catch (io.tfgw.core.WrongInputException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Long batch = null;
    if (!batchDim.equalsIgnoreCase("symbolic")) {
      try {
        batch = Long.parseLong(batchDim);
      } catch (NumberFormatException e) {
        batch = -1L;
      }
      if (batch < 1) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--batch-dim must be 'symbolic' or a positive size (got '" + batchDim + "')");
      }
    }
    return OnnxExporter.Options.defaults().withOpset(opset).withBatchSize(batch).withExternalData(externalData)
        .withInputs(inputs).withOutputs(outputs).withSignature(signature).withTag(tag)
        .withKerasConfig(kerasConfig == null ? null : Location.parse(kerasConfig));
  }

  private static void describeOnnx(OnnxExporter.Result r, Report report) {
    Map<String, Object> m = report.json();
    m.put("source", r.source().toString());
    m.put("source_format", r.sourceFormat());
    m.put("destination", r.destination().toString());
    m.put("format", "onnx");
    m.put("opset", r.opset());
    m.put("ir_version", r.irVersion());
    m.put("inputs", r.inputs());
    m.put("outputs", r.outputs());
    m.put("nodes", r.nodes());
    m.put("initializers", r.initializers());
    m.put("bytes", r.bytes());
    if (r.dataFile() != null) {
      m.put("external_data", r.dataFile().toString());
      m.put("external_data_bytes", r.dataBytes());
    }
    if (!r.notes().isEmpty()) {
      m.put("notes", r.notes());
    }
    r.notes().forEach(n -> report.lines().add("note: " + n));
    report.lines().add(String.format("%s (%s) -> %s (onnx, opset %d, IR %d): inputs %s, outputs %s, %d nodes, "
        + "%d initializers, %s%s", r.source(), r.sourceFormat(), r.destination(), r.opset(), r.irVersion(),
        r.inputs(), r.outputs(), r.nodes(), r.initializers(), Sizes.human(r.bytes()),
        r.dataFile() == null ? "" : " + " + Sizes.human(r.dataBytes()) + " in " + r.dataFile().fileName()));
  }

  private ModelConverter.Result convertModel(StorageRouter storage, String to, Location src, Location dst) {
    if (kerasConfig != null) {
      KerasConverter keras = new KerasConverter(storage);
      Location cfg = Location.parse(kerasConfig);
      return to.equals("frozen") ? keras.toFrozen(src, dst, cfg, outputs) : keras.toSavedModel(src, dst, cfg);
    }
    ModelConverter models = new ModelConverter(storage);
    return to.equals("frozen") ? models.toFrozen(src, dst, outputs, signature, tag)
        : models.toSavedModel(src, dst, inputs, outputs, signature, tag, thaw, parseSize(thawMinBytes));
  }

  private Hdf5Writer.Layout layout() {
    return switch (layout.toLowerCase(Locale.ROOT)) {
      case "keras" -> Hdf5Writer.Layout.KERAS;
      case "plain" -> Hdf5Writer.Layout.PLAIN;
      default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--layout must be keras or plain (got '" + layout + "')");
    };
  }

  /** Runs source and result in the runtime on the same inputs; adds the comparison to the report. */
  private boolean verifyModels(StorageRouter storage, Location src, Location dst, Location dstKerasConfig,
      List<String> convertedOutputs, Tolerance tolerance, Report report) {
    try (Model a = VerifiableModels.load(storage, src, kerasConfig == null ? null : Location.parse(kerasConfig));
        Model b = VerifiableModels.load(storage, dst, dstKerasConfig)) {
      // a source without signatures (a .meta) is compared on the outputs the conversion kept
      List<String> compare = a.signature(signature) == null ? convertedOutputs : outputs;
      Verifier.Interface names = Verifier.interfaceOf(a, b, signature);
      List<Map<String, io.tfgw.runtime.Tensor>> runs = verifyInputs != null
          ? List.of(ModelInputs.read(storage, verifyInputs, List.of(), names.model(), names.signature()))
          : Verifier.samples(names, samples, seed);
      Verifier.Report v = Verifier.verify(a, b, signature, runs, compare, tolerance);
      report.json().put("verify", VerifyTable.json(v));
      java.io.StringWriter table = new java.io.StringWriter();
      VerifyTable.print(new PrintWriter(table), v);
      report.lines().add("");
      v.notes().forEach(n -> report.lines().add("note: " + n));
      report.lines().addAll(table.toString().lines().toList());
      return v.passed();
    }
  }

  private static boolean verifyWritten(StorageRouter storage, Location src, Location dst, Report report) {
    CheckpointComparison.Result r = CheckpointComparison.compareWritten(storage, src, dst);
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("identical", r.identical());
    v.put("tensors", r.compared());
    v.put("differences", r.differences().stream().map(d -> d.destination() + ": " + d.reason()).toList());
    report.json().put("verify", v);
    report.lines().add(r.identical()
        ? "verified " + dst + ": " + r.compared() + " variables identical to the source's"
        : "DIFFERENT " + dst + ": " + r.differences().size() + " of " + r.compared() + " variables differ");
    r.differences().forEach(d -> report.lines().add("  " + d.destination() + ": " + d.reason()));
    return r.identical();
  }

  /** Reads every written tensor back and compares its hash with its source's. */
  private boolean verifyCheckpoints(StorageRouter storage, List<Location[]> pairs, NamePlan names, Report report) {
    boolean identical = true;
    List<Map<String, Object>> results = new ArrayList<>();
    for (Location[] pair : pairs) {
      CheckpointComparison.Result r = CheckpointComparison.compare(storage, pair[0], pair[1], names);
      identical &= r.identical();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("destination", pair[1].toString());
      m.put("tensors", r.compared());
      m.put("identical", r.identical());
      m.put("differences", r.differences().stream().map(d -> d.destination() + ": " + d.reason()).toList());
      results.add(m);
      report.lines().add(r.identical()
          ? "verified " + pair[1] + ": " + r.compared() + " tensors identical to the source"
          : "DIFFERENT " + pair[1] + ": " + r.differences().size() + " of " + r.compared() + " tensors differ");
      r.differences().forEach(d -> report.lines().add("  " + d.destination() + " (from " + d.source() + "): " + d.reason()));
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("identical", identical);
    v.put("checkpoints", results);
    report.json().put("verify", v);
    return identical;
  }

  private NamePlan namePlan(StorageRouter storage) throws IOException {
    NamePlan names = new NamePlan();
    includes.forEach(names::include);
    excludes.forEach(names::exclude);
    names.ema(ema);
    if (rnnTf12) {
      names.rnnTf12();
    }
    for (String r : renames) {
      try {
        names.rename(r);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    if (mapFile != null) {
      readMap(storage, names);
    }
    return names;
  }

  private static void describeKeras(KerasFileWriter.Result r, Report report) {
    Map<String, Object> m = report.json();
    m.put("source", r.source().toString());
    m.put("source_format", r.sourceFormat());
    m.put("destination", r.destination().toString());
    m.put("format", r.format());
    m.put("keras_version", KerasFileWriter.KERAS_VERSION);
    m.put("layers", r.layers());
    m.put("variables", r.variables());
    m.put("optimizer_variables", r.optimizerVariables());
    m.put("bytes", r.bytes());
    if (!r.notes().isEmpty()) {
      m.put("notes", r.notes());
    }
    r.notes().forEach(n -> report.lines().add("note: " + n));
    report.lines().add(String.format("%s (%s) -> %s (%s, Keras %s layout): %d layers, %d variables%s, %s",
        r.source(), r.sourceFormat(), r.destination(), r.format(), KerasFileWriter.KERAS_VERSION, r.layers(),
        r.variables(), r.optimizerVariables() > 0 ? " + " + r.optimizerVariables() + " optimizer variables" : "",
        Sizes.human(r.bytes())));
  }

  private static void describeFile(TensorFileConverter.Result r, Report report) {
    Map<String, Object> m = report.json();
    m.put("source", r.source().toString());
    m.put("source_format", r.sourceFormat());
    m.put("destination", r.destination().toString());
    m.put("format", r.format());
    if (r.layout() != null) {
      m.put("layout", r.layout());
    }
    m.put("tensors", r.tensors());
    m.put("bytes", r.bytes());
    if (!r.notes().isEmpty()) {
      m.put("notes", r.notes());
    }
    r.notes().forEach(n -> report.lines().add("note: " + n));
    report.lines().add(String.format("%s (%s) -> %s (%s%s): %d tensors, %s", r.source(), r.sourceFormat(),
        r.destination(), r.format(), r.layout() == null ? "" : ", " + r.layout() + " layout", r.tensors(),
        Sizes.human(r.bytes())));
  }

  private void readMap(StorageRouter storage, NamePlan names) throws IOException {
    JsonNode root = new ObjectMapper().readTree(storage.inputFile(Location.parse(mapFile)).readAllBytes());
    if (!root.isObject()) {
      throw new WrongInputException(mapFile + " must hold a JSON object mapping old names to new names");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new WrongInputException(mapFile + ": the new name of '" + e.getKey() + "' is not a string");
      }
      names.map(e.getKey(), e.getValue().asText());
    }
  }

  static long parseSize(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
    long mult = 1;
    char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
    switch (last) {
      case 'K':
        mult = 1L << 10;
        break;
      case 'M':
        mult = 1L << 20;
        break;
      case 'G':
        mult = 1L << 30;
        break;
      case 'T':
        mult = 1L << 40;
        break;
      default:
        break;
    }
    String num = mult == 1 ? t : t.substring(0, t.length() - 1);
    try {
      return (long) (Double.parseDouble(num) * mult);
    } catch (NumberFormatException e) {
      throw new WrongInputException("Bad size '" + s + "': use a number with an optional K, M, G or T suffix");
    }
  }

  private static void describeModel(ModelConverter.Result r, Report report) {
    Map<String, Object> m = report.json();
    m.put("source", r.source().toString());
    m.put("source_format", r.sourceFormat());
    m.put("destination", r.destination().toString());
    m.put("format", r.format());
    m.put("outputs", r.outputs());
    m.put("nodes", r.nodes());
    m.put(r.format().equals("frozen") ? "variables_frozen" : "variables", r.variables());
    m.put("bytes", r.bytes());
    if (!r.notes().isEmpty()) {
      m.put("notes", r.notes());
    }
    r.notes().forEach(n -> report.lines().add("note: " + n));
    report.lines().add(String.format("%s (%s) -> %s (%s): outputs %s, %d nodes, %d variables %s, %s", r.source(),
        r.sourceFormat(), r.destination(), r.format(), r.outputs(), r.nodes(), r.variables(),
        r.format().equals("frozen") ? "frozen" : "stored", Sizes.human(r.bytes())));
  }

  private static void describeCheckpoints(ConvertResult result, Report report) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (ConvertResult.Converted c : result.checkpoints()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("source", c.source().toString());
      e.put("source_format", c.sourceFormat());
      e.put("destination", c.destination().toString());
      e.put("format", c.format());
      e.put("tensors", c.tensors());
      e.put("bytes", c.bytes());
      e.put("meta", c.meta());
      e.put("files", c.files().stream().map(Location::toString).toList());
      list.add(e);
      report.lines().add(String.format("%s (%s) -> %s (%s): %d tensors, %s%s", c.source(), c.sourceFormat(),
          c.destination(), c.format(), c.tensors(), Sizes.human(c.bytes()), c.meta() ? ", .meta carried" : ""));
    }
    report.json().put("checkpoints", list);
    report.json().put("state_file", result.stateFile().toString());
    if (!result.notes().isEmpty()) {
      report.json().put("notes", result.notes());
      for (int i = result.notes().size() - 1; i >= 0; i--) {
        report.lines().add(0, "note: " + result.notes().get(i));
      }
    }
    report.lines().add("wrote " + result.stateFile());
  }

}
