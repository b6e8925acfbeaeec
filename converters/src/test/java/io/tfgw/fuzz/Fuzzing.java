package io.tfgw.fuzz;

import io.tfgw.core.TfgwException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.tensor.TensorHashes;
import io.tfgw.core.tensor.TensorInfo;

/** What every fuzz target may and may not do with hostile input. */
final class Fuzzing {
  private Fuzzing() {}

  /** Runs the action; our documented exception family is an acceptable answer, anything else is a finding. */
  static void expectOnlyTfgwExceptions(Runnable action) {
    try {
      action.run();
    } catch (TfgwException expected) {
      if (expected.getMessage() == null || expected.getMessage().isBlank()) {
        throw new AssertionError("an error without a message", expected);
      }
    }
  }

  /** Reads everything a checkpoint claims to hold, as inspect --hash does. */
  static void readEverything(CheckpointReader reader) {
    for (TensorInfo t : reader.tensors()) {
      TensorHashes.sha256Hex(reader.read(t.name()));
      for (var s : t.slices()) {
        TensorHashes.sha256Hex(reader.readSlice(t.name(), s));
      }
    }
  }
}
