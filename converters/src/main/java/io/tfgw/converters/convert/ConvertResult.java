package io.tfgw.converters.convert;

import io.tfgw.core.storage.Location;
import java.util.List;

/** What a conversion wrote. */
public record ConvertResult(List<Converted> checkpoints, Location stateFile, List<String> notes) {
  /** One converted checkpoint. */
  public record Converted(Location source, String sourceFormat, Location destination, String format, int tensors,
      long bytes, boolean meta, List<Location> files) {}
}
