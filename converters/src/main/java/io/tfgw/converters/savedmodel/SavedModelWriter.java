package io.tfgw.converters.savedmodel;

import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SavedModel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a SavedModel directory: {@code variables/variables.{index,data-*}} as a V2 bundle, {@code assets/}, and
 * {@code saved_model.pb} last, so that a directory with a {@code saved_model.pb} is always complete. When anything
 * fails, the files written so far are removed.
 */
public final class SavedModelWriter {
  private final Storage storage;

  public SavedModelWriter(Storage storage) {
    this.storage = storage;
  }

  /** What was written. */
  public record Result(Location directory, int variables, long bytes, List<Location> files) {}

  /**
   * @param metaGraph the MetaGraph to store (tags, signatures and saver already set)
   * @param variables the values for {@code variables/}, or null for a model without variables
   * @param assets file name in {@code assets/} to the file to copy there
   */
  public Result write(Location dir, MetaGraphDef metaGraph, CheckpointReader variables, Map<String, Location> assets) {
    List<Location> written = new ArrayList<>();
    long bytes = 0;
    int count = 0;
    try {
      if (variables != null) {
        Location prefix = dir.resolve("variables/variables");
        try (BundleWriter w = new BundleWriter(storage, prefix)) {
          for (TensorInfo t : variables.tensors()) {
            if (t.isPartitioned()) {
              for (TensorSlice s : t.slices()) {
                w.addSlice(t.name(), t.shape(), s, variables.readSlice(t.name(), s));
              }
            } else {
              w.add(t.name(), variables.read(t.name()));
            }
            count++;
            bytes += t.dtype().isFixedSize() ? t.shape().byteSize(t.dtype()) : 0;
          }
          w.commit();
        }
        written.add(prefix.appendToName(".data-00000-of-00001"));
        written.add(prefix.appendToName(".index"));
      }
      for (Map.Entry<String, Location> a : assets.entrySet()) {
        Location to = dir.resolve("assets/" + a.getKey());
        copy(a.getValue(), to);
        written.add(to);
      }
      Location pb = dir.resolve("saved_model.pb");
      SavedModel model = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(metaGraph).build();
      storage.outputFile(pb).write(model.toByteArray());
      written.add(pb);
      return new Result(dir, count, bytes, written);
    } catch (RuntimeException e) {
      for (Location l : written) {
        try {
          storage.delete(l);
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private void copy(Location from, Location to) {
    try (InputStream in = storage.inputFile(from).newStream(); AtomicOutputStream out = storage.outputFile(to).create()) {
      in.transferTo(out);
      out.commit();
    } catch (IOException e) {
      throw new io.tfgw.core.storage.StorageException("Cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }
}
