package io.tfgw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.inspect.ValueSummary;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.npy.Npy;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.verify.VerifiableModels;
import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.core.tensor.TensorHashes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a model in tfgw's own runtime (no TensorFlow) and print its outputs.",
        "MODEL: a SavedModel directory (TF1 or TF2), a frozen GraphDef .pb, a .meta with its checkpoint (the "
            + ".meta file, the checkpoint prefix, or its directory), or a Keras .keras / .h5 (as the graph tfgw "
            + "builds from it)."},
    footer = {"", "Inputs JSON maps input names (signature keys, or tensor names like x:0) to tensors:",
        "  {\"x\": {\"dtype\": \"float32\", \"shape\": [2, 3], \"values\": [1, 2, 3, 4, 5, \"NaN\"]},",
        "   \"ids\": [[1, 2], [3, 4]],                 (dtype and shape from the model / the nesting)",
        "   \"image\": {\"npy\": \"image.npy\"}}         (.npy path relative to the JSON file)",
        "Outputs print as the same kind of object, with \"sha256\" (the contract's canonical hash).",
        "Floats print so that parsing them gives back the same bits; NaN and infinities are strings.",
        "",
        "Examples:",
        "  tfgw run export/1 --inputs in.json --json",
        "  tfgw run frozen.pb --input x:0=batch.npy --outputs softmax:0",
        "  tfgw run model.keras --input input_layer=batch.npy --json",
        "  tfgw run train_dir/model.ckpt-2000.meta --inputs in.json --outputs logits:0"})
final class RunCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(paramLabel = "MODEL", description = "SavedModel directory, frozen .pb, .meta / checkpoint prefix, or Keras .keras / .h5")
  String model;

  @Option(names = "--inputs", paramLabel = "FILE.json", description = "Input tensors as JSON (see below).")
  String inputsFile;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy",
      description = "One input from a NumPy .npy file; repeatable, combines with --inputs.")
  List<String> npyInputs = new ArrayList<>();

  @Option(names = "--signature", paramLabel = "KEY",
      description = "SavedModel signature to run (default: serving_default, or the only one).")
  String signature;

  @Option(names = "--outputs", paramLabel = "NAME", split = ",",
      description = "Outputs to compute: signature output keys or tensor names (default: the signature's outputs, "
          + "or a frozen graph's final nodes).")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--tags", paramLabel = "TAG", split = ",",
      description = "SavedModel meta graph tags (default: serve, or the only meta graph).")
  List<String> tags;

  @Option(names = "--json", description = "Print one JSON object (see the CLI contract).")
  boolean json;

  /** A Keras file (.keras, .h5) runs as the graph tfgw builds from it; everything else as Models reads it. */
  private Model load(StorageRouter storage) {
    Resolved resolved = new Resolver(storage).resolve(Location.parse(model));
    if (resolved.format().equals("keras") || resolved.format().equals("hdf5")) {
      return VerifiableModels.load(storage, resolved.target(), null);
    }
    return Models.load(storage, resolved, tags);
  }

  @Override
  public Integer call() {
    ModelInputs.checkNpyArguments(npyInputs, spec.commandLine());
    Model.Outputs result;
    try (StorageRouter storage = common.storage();
        Model m = load(storage)) {
      Signature sig = m.signature(signature);
      Map<String, Tensor> inputs = ModelInputs.read(storage, inputsFile, npyInputs, m, sig);
      result = m.evaluate(sig == null ? null : sig.key(), inputs, outputs);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> obj = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : result.values().entrySet()) {
        Map<String, Object> tensor = new LinkedHashMap<>(TensorJson.toJson(e.getValue()));
        if (result.nondeterministic().contains(e.getKey())) {
          tensor.put("nondeterministic", true);
        }
        obj.put(e.getKey(), tensor);
      }
      out.println(Json.write(obj));
    } else {
      for (Map.Entry<String, Tensor> e : result.values().entrySet()) {
        Tensor t = e.getValue();
        out.println(e.getKey() + ": " + t.dtype().pythonName() + " " + t.shape() + "  sha256 "
            + TensorHashes.sha256Hex(t.canonicalBytes())
            + (result.nondeterministic().contains(e.getKey()) ? "  (nondeterministic: depends on unseeded random ops)"
            : ""));
        if (t.dtype().isFixedSize() || t.dtype() == io.tfgw.core.tensor.DType.STRING) {
          out.println(ValueSummary.of(e.getKey(), t.toData()).toNumpyString());
        }
      }
    }
    out.flush();
    return 0;
  }

}
