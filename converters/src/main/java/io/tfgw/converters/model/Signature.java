package io.tfgw.converters.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * A named function of a model: input and output keys mapped to graph tensors (a SavedModel SignatureDef).
 *
 * @param key the signature key ({@code serving_default}, ...)
 * @param methodName TF's method name ({@code tensorflow/serving/predict}, ...)
 * @param inputs input keys to tensors, sorted by key
 * @param outputs output keys to tensors, sorted by key
 */
public record Signature(String key, String methodName, Map<String, TensorSpec> inputs,
    Map<String, TensorSpec> outputs) {
  public Signature {
    inputs = java.util.Collections.unmodifiableMap(new TreeMap<>(inputs));
    outputs = java.util.Collections.unmodifiableMap(new TreeMap<>(outputs));
  }
}
