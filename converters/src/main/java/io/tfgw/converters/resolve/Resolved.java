package io.tfgw.converters.resolve;

import io.tfgw.core.storage.Location;
import java.util.List;

/**
 * What a user-named location turned out to be.
 *
 * @param format the contract's format name: {@code v1}, {@code v2}, {@code savedmodel}, {@code frozen}, {@code meta},
 *     {@code hdf5}, {@code safetensors}, {@code keras} (a Keras 3 {@code .keras} zip)
 * @param target the checkpoint prefix (v1, v2, meta), SavedModel directory, or file
 * @param notes what resolution did that the user should know (latest of N checkpoints, remapped paths)
 */
public record Resolved(String format, Location target, List<String> notes) {
  public Resolved {
    notes = List.copyOf(notes);
  }
}
