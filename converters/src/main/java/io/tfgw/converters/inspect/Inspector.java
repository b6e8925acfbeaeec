package io.tfgw.converters.inspect;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.keras.KerasArchive;
import io.tfgw.converters.keras.KerasSummary;
import io.tfgw.converters.keras.KerasWeightsFile;
import io.tfgw.converters.safetensors.SafetensorsReader;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleReader;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorHashes;
import io.tfgw.core.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code tfgw inspect}: what a location holds, its variables and, on request, their hashes and values. */
public final class Inspector {
  private final Storage storage;

  public Inspector(Storage storage) {
    this.storage = storage;
  }

  public InspectReport inspect(Location location, InspectOptions options) {
    Resolved resolved = new Resolver(storage).resolve(location);
    Map<String, Object> details = new LinkedHashMap<>();
    if (resolved.format().equals("savedmodel")) {
      details.putAll(SavedModelSummary.describe(storage, resolved.target()));
    }
    if (resolved.format().equals("onnx")) {
      details.putAll(io.tfgw.converters.onnx.read.OnnxSummary.describe(storage, resolved.target()));
    }
    // Hashing needs every byte: the strict open reports missing data files before anything is read. Listing (and
    // the values of one tensor whose file is there) works from the index alone, as TF's NewCheckpointReader does.
    List<String> warnings = new ArrayList<>();
    try (CheckpointReader reader = options.hash() ? Checkpoints.open(storage, resolved)
        : Checkpoints.openForListing(storage, resolved)) {
      List<TensorInfo> infos = new ArrayList<>(reader.tensors());
      infos.sort((a, b) -> Arrays.compareUnsigned(a.name().getBytes(java.nio.charset.StandardCharsets.UTF_8),
          b.name().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      String[] hashes = options.hash() ? hashAll(reader, infos, options.threads()) : new String[infos.size()];
      List<InspectReport.Variable> vars = new ArrayList<>();
      long total = 0;
      for (int i = 0; i < infos.size(); i++) {
        long bytes = storedBytes(reader, infos.get(i));
        total += bytes;
        vars.add(new InspectReport.Variable(infos.get(i), bytes, hashes[i]));
      }
      if (reader instanceof BundleReader bundle) {
        details.put("num_shards", bundle.numShards());
        if (bundle.isBigEndian()) {
          details.put("endianness", "big");
        }
        List<Location> missing = bundle.missingDataFiles();
        if (!missing.isEmpty()) {
          details.put("missing_files", missing.stream().map(Location::toString).toList());
          warnings.add(BundleFiles.missingDataWarning(bundle.location(), bundle.numShards(), missing));
        }
      }
      if (reader instanceof Hdf5Reader h5) {
        details.putAll(KerasSummary.describe(h5));
      } else if (reader instanceof KerasArchive archive) {
        details.putAll(KerasSummary.describe(archive));
      } else if (reader instanceof KerasWeightsFile weights) {
        details.putAll(KerasSummary.describe(weights));
      }
      if (reader instanceof SafetensorsReader st && !st.metadata().isEmpty()) {
        details.put("metadata", st.metadata());
      }
      details.put("total_bytes", total);
      if (reader.tensor("_CHECKPOINTABLE_OBJECT_GRAPH").isPresent()) {
        details.put("object_graph", true);
      }
      ValueSummary summary = null;
      if (options.tensor() != null) {
        TensorInfo info = reader.require(options.tensor());
        summary = ValueSummary.of(info.name(), reader.read(info.name()));
      }
      return new InspectReport(location.toString(), resolved.format(), vars, details, resolved.notes(), warnings,
          summary);
    }
  }

  private static long storedBytes(CheckpointReader reader, TensorInfo info) {
    if (reader instanceof BundleReader bundle) {
      if (info.isPartitioned()) {
        return info.dtype().isFixedSize() ? info.shape().byteSize(info.dtype()) : -1;
      }
      return bundle.entry(info.name()).getSize();
    }
    return info.dtype().isFixedSize() ? info.shape().byteSize(info.dtype()) : -1;
  }

  /** Hashes tensors in parallel: each worker streams one tensor at a time, so memory stays bounded. */
  private static String[] hashAll(CheckpointReader reader, List<TensorInfo> infos, int threads) {
    String[] out = new String[infos.size()];
    if (threads <= 1 || infos.size() <= 1) {
      for (int i = 0; i < infos.size(); i++) {
        out[i] = TensorHashes.sha256Hex(reader.read(infos.get(i).name()));
      }
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "tfgw-hash");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (TensorInfo info : infos) {
        futures.add(pool.submit(() -> TensorHashes.sha256Hex(reader.read(info.name()))));
      }
      for (int i = 0; i < futures.size(); i++) {
        out[i] = futures.get(i).get();
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }
}
