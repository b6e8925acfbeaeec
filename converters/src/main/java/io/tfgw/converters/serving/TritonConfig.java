package io.tfgw.converters.serving;

import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.converters.verify.VerifiableModels;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Triton's {@code config.pbtxt} for a model directory. For a SavedModel it lists the serving signature's inputs
 * and outputs (Triton feeds a SavedModel by signature keys); for ONNX, and for a signature without shapes, only the
 * platform, since Triton completes the configuration from the model itself ("auto-generated model configuration").
 */
final class TritonConfig {
  private TritonConfig() {}

  static void writeIfAbsent(Storage storage, Path modelDirectory, String name, Path signatureSource, boolean onnx) {
    Path config = modelDirectory.resolve("config.pbtxt");
    if (Files.exists(config)) {
      return;
    }
    StringBuilder b = new StringBuilder();
    b.append("name: \"").append(name).append("\"\n");
    b.append("platform: \"").append(onnx ? "onnxruntime_onnx" : "tensorflow_savedmodel").append("\"\n");
    b.append("max_batch_size: 0\n");
    if (!onnx) {
      try (Model m = VerifiableModels.load(storage, Location.local(signatureSource), null)) {
        Signature sig = m.signature(null);
        if (sig == null) {
          throw new io.tfgw.core.UnsupportedInputException(signatureSource + " has no serving signature, which Triton "
              + "needs to feed a SavedModel; convert it with --to savedmodel (that adds serving_default) or write "
              + modelDirectory.resolve("config.pbtxt") + " yourself");
        }
        // a tensor of unknown rank (a signature made from a checkpoint's graph has no shapes) has no dims to write;
        // Triton then completes inputs and outputs from the SavedModel itself, as it does for ONNX
        boolean shapesKnown = java.util.stream.Stream.concat(sig.inputs().values().stream(), sig.outputs().values()
            .stream()).allMatch(t -> t.shape() != null);
        if (shapesKnown) {
          b.append(tensors("input", sig.inputs())).append(tensors("output", sig.outputs()));
        }
      }
    }
    Path tmp = modelDirectory.resolve(".tfgw-config.pbtxt.tmp");
    try {
      Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
      Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new StorageException("Cannot write " + config + ": " + e.getMessage(), e);
    }
  }

  private static String tensors(String kind, Map<String, TensorSpec> specs) {
    StringBuilder b = new StringBuilder(kind).append(" [\n");
    int i = 0;
    for (Map.Entry<String, TensorSpec> e : specs.entrySet()) {
      long[] shape = e.getValue().shape();
      StringBuilder dims = new StringBuilder();
      if (shape != null) {
        for (int d = 0; d < shape.length; d++) {
          dims.append(d == 0 ? "" : ", ").append(shape[d] < 0 ? -1 : shape[d]);
        }
      }
      b.append("  {\n    name: \"").append(e.getKey()).append("\"\n    data_type: ")
          .append(tritonType(e.getValue().dtype().pythonName())).append("\n    dims: [ ")
          .append(dims).append(" ]\n  }").append(++i < specs.size() ? ",\n" : "\n");
    }
    return b.append("]\n").toString();
  }

  static String tritonType(String dtype) {
    return switch (dtype) {
      case "float32" -> "TYPE_FP32";
      case "float64" -> "TYPE_FP64";
      case "float16" -> "TYPE_FP16";
      case "bfloat16" -> "TYPE_BF16";
      case "int8" -> "TYPE_INT8";
      case "int16" -> "TYPE_INT16";
      case "int32" -> "TYPE_INT32";
      case "int64" -> "TYPE_INT64";
      case "uint8" -> "TYPE_UINT8";
      case "uint16" -> "TYPE_UINT16";
      case "uint32" -> "TYPE_UINT32";
      case "uint64" -> "TYPE_UINT64";
      case "bool" -> "TYPE_BOOL";
      case "string" -> "TYPE_STRING";
      default -> throw new io.tfgw.core.UnsupportedInputException("Triton has no type for " + dtype
          + " tensors; this model cannot be served by Triton as it is");
    };
  }
}
