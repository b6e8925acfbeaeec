package io.tfgw.converters.verify;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.convert.NamePlan;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorHashes;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code convert --verify} for checkpoint-to-checkpoint conversions: every written tensor is read back from the
 * destination (crc-checked) and hashed against its source tensor, through the same renames.
 */
public final class CheckpointComparison {
  /** A tensor whose destination differs from its source. */
  public record Difference(String source, String destination, String reason) {}

  /** The result: tensors compared, and those that differ. */
  public record Result(int compared, List<Difference> differences) {
    public boolean identical() {
      return differences.isEmpty();
    }
  }

  private CheckpointComparison() {}

  public static Result compare(Storage storage, Location source, Location destination, NamePlan names) {
    try (CheckpointReader src = Checkpoints.open(storage, source);
        CheckpointReader dst = Checkpoints.open(storage, destination)) {
      List<Difference> diffs = new ArrayList<>();
      List<NamePlan.Entry> plan = names.apply(src.tensors());
      for (NamePlan.Entry e : plan) {
        var written = dst.tensor(e.name());
        if (written.isEmpty()) {
          diffs.add(new Difference(e.source().name(), e.name(), "missing in the destination"));
          continue;
        }
        if (written.get().dtype() != e.source().dtype() || !written.get().shape().equals(e.source().shape())) {
          diffs.add(new Difference(e.source().name(), e.name(), e.source().dtype() + e.source().shape().toString()
              + " became " + written.get().dtype() + written.get().shape()));
          continue;
        }
        String a = TensorHashes.sha256Hex(src.read(e.source().name()));
        String b = TensorHashes.sha256Hex(dst.read(e.name()));
        if (!a.equals(b)) {
          diffs.add(new Difference(e.source().name(), e.name(), "values differ (sha256 " + a.substring(0, 12) + " vs "
              + b.substring(0, 12) + ")"));
        }
      }
      return new Result(plan.size(), diffs);
    }
  }

  /**
   * For files that keep part of their source (a {@code .keras} written from a checkpoint keeps the model's
   * variables, not the optimizer's slots): every tensor of the destination is read back and hashed against the
   * source tensor of the same name.
   */
  public static Result compareWritten(Storage storage, Location source, Location destination) {
    try (CheckpointReader src = Checkpoints.open(storage, source);
        CheckpointReader dst = Checkpoints.open(storage, destination)) {
      List<Difference> diffs = new ArrayList<>();
      for (var t : dst.tensors()) {
        var original = src.tensor(t.name());
        if (original.isEmpty()) {
          diffs.add(new Difference(t.name(), t.name(), "not in the source"));
          continue;
        }
        if (original.get().dtype() != t.dtype() || !original.get().shape().equals(t.shape())) {
          diffs.add(new Difference(t.name(), t.name(), original.get().dtype() + original.get().shape().toString()
              + " became " + t.dtype() + t.shape()));
          continue;
        }
        String a = TensorHashes.sha256Hex(src.read(t.name()));
        String b = TensorHashes.sha256Hex(dst.read(t.name()));
        if (!a.equals(b)) {
          diffs.add(new Difference(t.name(), t.name(), "values differ (sha256 " + a.substring(0, 12) + " vs "
              + b.substring(0, 12) + ")"));
        }
      }
      return new Result(dst.tensors().size(), diffs);
    }
  }
}
