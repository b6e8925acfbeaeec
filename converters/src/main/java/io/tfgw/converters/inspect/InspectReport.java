package io.tfgw.converters.inspect;

import io.tfgw.core.tensor.TensorInfo;
import java.util.List;
import java.util.Map;

/**
 * The result of inspecting a location, shaped like the CLI contract's JSON.
 *
 * @param details format-specific facts (shards, signatures, graph sizes, versions), insertion-ordered
 * @param tensorSummary the summary of the tensor asked for with {@code --tensor}, or null
 */
public record InspectReport(String location, String format, List<Variable> variables, Map<String, Object> details,
    List<String> notes, ValueSummary tensorSummary) {

  /** One variable: metadata, stored bytes, and (with hashing) the canonical sha256. */
  public record Variable(TensorInfo info, long storedBytes, String sha256) {}
}
