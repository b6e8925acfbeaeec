package io.tfgw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.npy.Npy;
import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Model inputs as `run` and `verify` take them: a JSON file (values inline or {"npy": path}) and NAME=FILE.npy. */
final class ModelInputs {
  private ModelInputs() {}

  /** Rejects malformed --input arguments as usage errors (exit 2) before any work. */
  static void checkNpyArguments(List<String> npyInputs, picocli.CommandLine commandLine) {
    for (String arg : npyInputs) {
      if (arg.lastIndexOf('=') <= 0) {
        throw new picocli.CommandLine.ParameterException(commandLine, "--input needs NAME=FILE.npy, got '" + arg + "'");
      }
    }
  }

  static Map<String, Tensor> read(StorageRouter storage, String inputsFile, List<String> npyInputs, Model m,
      Signature sig) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    if (inputsFile != null) {
      Location file = Location.parse(inputsFile);
      JsonNode root = TensorJson.parse(storage.inputFile(file).readAllBytes(), inputsFile);
      if (!root.isObject()) {
        throw new WrongInputException(inputsFile + " must hold a JSON object mapping input names to tensors");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        if (v.isObject() && v.has("npy")) {
          String path = v.get("npy").asText();
          Location npy = path.startsWith("/") || path.contains("://") || file.isRoot() ? Location.parse(path)
              : file.parent().resolve(path);
          inputs.put(e.getKey(), readNpy(storage, npy));
        } else {
          inputs.put(e.getKey(), TensorJson.parseTensor(e.getKey(), v, m.inputSpec(sig, e.getKey())));
        }
      }
    }
    for (String arg : npyInputs) {
      int eq = arg.lastIndexOf('=');
      if (eq <= 0) {
        throw new WrongInputException("--input needs NAME=FILE.npy, got '" + arg + "'");
      }
      inputs.put(arg.substring(0, eq), readNpy(storage, Location.parse(arg.substring(eq + 1))));
    }
    return inputs;
  }

  private static Tensor readNpy(StorageRouter storage, Location file) {
    return Tensor.fromData(Npy.read(storage.inputFile(file).readAllBytes(), file.toString()));
  }
}
