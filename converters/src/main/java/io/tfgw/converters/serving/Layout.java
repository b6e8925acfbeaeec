package io.tfgw.converters.serving;

import java.nio.file.Path;

/**
 * Where a model server expects a version on disk. Each version directory appears in one rename; everything tfgw
 * stages sits beside it under a name starting with a dot, which the servers skip (TF Serving and Triton load only
 * numeric version directories).
 */
public enum Layout {
  /** TF Serving: {@code DST/<version>/saved_model.pb} (the directory given as {@code --model_base_path}). */
  TFSERVING,
  /**
   * Triton: {@code DST/<model>/config.pbtxt} and {@code DST/<model>/<version>/model.savedmodel/} (or
   * {@code model.onnx} when converted to ONNX), DST being the model repository.
   */
  TRITON,
  /**
   * KServe's model directory ({@code /mnt/models}) as its TF Serving runtime reads it:
   * {@code DST/<version>/saved_model.pb}, or {@code DST/<version>/model.onnx} for its ONNX runtime.
   */
  KSERVE;

  /** The directory holding the version directories. */
  public Path versionsDirectory(Path destination, String model) {
    return this == TRITON ? destination.resolve(model) : destination;
  }

  /** Where the model goes inside a version directory: "" (the directory itself) or a subdirectory or file name. */
  public String modelPathInVersion(boolean onnx) {
    if (onnx) {
      return "model.onnx";
    }
    return this == TRITON ? "model.savedmodel" : "";
  }

  public static Layout parse(String name) {
    return Layout.valueOf(name.toUpperCase(java.util.Locale.ROOT));
  }
}
