package io.tfgw.converters.inspect;

import io.tfgw.core.tensor.TensorInfo;
import java.util.List;
import java.util.Map;

/**
 * The result of inspecting a location, shaped like the CLI contract's JSON.
 *
 * @param details format-specific facts (shards, signatures, graph sizes, versions), insertion-ordered
 * @param notes what resolving the location did that the user should know
 * @param warnings what is wrong with the files but did not stop the inspection (missing data files)
 * @param tensorSummary the summary of the tensor asked for with {@code --tensor}, or null
 */
public record InspectReport(String location, String format, List<Variable> variables, Map<String, Object> details,
    List<String> notes, List<String> warnings, ValueSummary tensorSummary) {

  /** One variable: metadata, stored bytes, and (with hashing) the canonical sha256. */
  public record Variable(TensorInfo info, long storedBytes, String sha256) {}
}
