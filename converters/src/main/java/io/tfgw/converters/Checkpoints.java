package io.tfgw.converters;

import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.keras.KerasArchive;
import io.tfgw.converters.keras.KerasWeightsFile;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.safetensors.SafetensorsReader;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.v1.V1Files;
import io.tfgw.converters.v1.V1Reader;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleReader;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.util.List;

/** Opens the variables of whatever a location names, in any checkpoint-bearing format. */
public final class Checkpoints {
  private Checkpoints() {}

  /** Resolves the location (prefix, file, directory) and opens its variables. */
  public static CheckpointReader open(Storage storage, Location location) {
    return open(storage, new Resolver(storage).resolve(location));
  }

  public static CheckpointReader open(Storage storage, Resolved resolved) {
    return open(storage, resolved, false);
  }

  /**
   * Opens the variables to list them, as TF's {@code NewCheckpointReader} does: a V2 bundle whose data files are
   * missing still lists its tensors from the index ({@link BundleReader#missingDataFiles()} says which files are
   * missing); reading a tensor stored in one of them fails.
   */
  public static CheckpointReader openForListing(Storage storage, Resolved resolved) {
    return open(storage, resolved, true);
  }

  private static CheckpointReader open(Storage storage, Resolved resolved, boolean listing) {
    switch (resolved.format()) {
      case "v2":
        return openV2(storage, resolved.target(), listing);
      case "v1":
        return openV1(storage, resolved.target());
      case "meta":
        return storage.exists(BundleFiles.index(resolved.target()))
            ? openV2(storage, resolved.target(), listing) : openV1(storage, resolved.target());
      case "savedmodel": {
        Location variables = resolved.target().resolve("variables/variables");
        if (!storage.exists(BundleFiles.index(variables))) {
          return empty(resolved.target(), "savedmodel");
        }
        return openV2(storage, variables, listing);
      }
      case "hdf5":
        return openHdf5(storage, resolved.target());
      case "keras":
        return KerasArchive.open(storage, resolved.target());
      case "safetensors":
        return SafetensorsReader.open(storage, resolved.target());
      case "onnx":
        return io.tfgw.converters.onnx.read.OnnxInitializers.open(storage, resolved.target());
      default:
        throw new UnsupportedInputException(resolved.target() + " is a " + resolved.format()
            + " file; reading its variables is not supported yet");
    }
  }

  /** An HDF5 file; a Keras 3 weights file gets its variables' Keras names ({@code dense/kernel}). */
  private static CheckpointReader openHdf5(Storage storage, Location file) {
    Hdf5Reader h5 = Hdf5Reader.open(storage, file);
    if (h5.layout().equals("keras3")) {
      return KerasWeightsFile.of(h5, file, "hdf5", null, null, null);
    }
    return h5;
  }

  private static BundleReader openV2(Storage storage, Location prefix, boolean listing) {
    return listing ? BundleReader.openForListing(storage, prefix) : BundleReader.open(storage, prefix);
  }

  private static CheckpointReader openV1(Storage storage, Location prefix) {
    if (storage.exists(prefix)) {
      return V1Reader.open(storage, prefix, List.of(prefix));
    }
    List<Location> shards = V1Files.shardsOf(storage, prefix);
    if (shards.isEmpty()) {
      throw new io.tfgw.core.storage.LocationNotFoundException(prefix, "No checkpoint at " + prefix
          + " (neither " + prefix.fileName() + ".index, nor a V1 file, nor V1 shards " + prefix.fileName() + "-?????-of-?????)");
    }
    int declared = Integer.parseInt(shards.get(0).fileName().replaceAll(".*-of-(\\d+)$", "$1"));
    if (shards.size() != declared) {
      throw new io.tfgw.core.WrongInputException("V1 checkpoint " + prefix + " is incomplete: " + shards.size() + " of its "
          + declared + " shard files are present. Copy all " + prefix.fileName() + "-?????-of-" + String.format("%05d", declared)
          + " files together.");
    }
    return V1Reader.open(storage, prefix, shards);
  }

  /** A checkpoint with no tensors (a SavedModel without variables). */
  public static CheckpointReader empty(Location location, String format) {
    return new CheckpointReader() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public String format() {
        return format;
      }

      @Override
      public List<TensorInfo> tensors() {
        return List.of();
      }

      @Override
      public TensorData read(String name) {
        require(name);
        throw new IllegalStateException("unreachable: require() fails on an empty checkpoint");
      }

      @Override
      public TensorData readSlice(String name, TensorSlice slice) {
        return read(name);
      }

      @Override
      public void close() {}
    };
  }
}
