package io.tfgw.converters.convert;

import io.tfgw.core.storage.Location;
import java.util.List;

/**
 * What a checkpoint conversion wrote.
 *
 * @param checkpoints each converted checkpoint, in the order converted
 * @param stateFile the {@code checkpoint} state file written (or updated) beside the destination
 * @param notes what the conversion decided on the user's behalf (a directory resolved to its latest checkpoint, ...)
 */
public record ConvertResult(List<Converted> checkpoints, Location stateFile, List<String> notes) {
  /**
   * One converted checkpoint.
   *
   * @param sourceFormat {@code v1}, {@code v2}, {@code savedmodel}, {@code hdf5} or {@code safetensors}
   * @param format {@code v1} or {@code v2}
   * @param tensors how many tensors were written
   * @param bytes their in-memory size (fixed-size dtypes; strings count 0)
   * @param meta whether a {@code .meta} was written beside it
   * @param files every file written for it
   */
  public record Converted(Location source, String sourceFormat, Location destination, String format, int tensors,
      long bytes, boolean meta, List<Location> files) {}
}
