package io.tfgw.core.checkpoint;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.SliceAssembler;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.util.List;
import java.util.Optional;

/**
 * An open checkpoint: a sorted set of named tensors whose metadata is known at open and whose values stream on
 * demand. V1, V2, SavedModel variables, HDF5 weights and safetensors all read as one.
 */
public interface CheckpointReader extends AutoCloseable {
  /** Where the checkpoint is (its prefix, or its file). */
  Location location();

  /** The contract's format name: {@code v1}, {@code v2}, ... */
  String format();

  /** Every tensor, sorted by name; partitioned variables appear once, with their slices. */
  List<TensorInfo> tensors();

  /** Metadata of the tensor with this name, if the checkpoint has one. */
  default Optional<TensorInfo> tensor(String name) {
    return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** Metadata of a tensor that must exist; the error lists similar names. */
  default TensorInfo require(String name) {
    return tensor(name).orElseThrow(() -> new WrongInputException(
        "No tensor named '" + name + "' in " + location() + TensorNames.suggestions(name, tensors())));
  }

  /** The values of a whole tensor; a partitioned variable is assembled from its slices. */
  TensorData read(String name);

  /** The values of one stored slice of a partitioned variable. */
  TensorData readSlice(String name, TensorSlice slice);

  /** A partitioned variable's full tensor, streamed from its stored slices (see {@link SliceAssembler}). */
  default TensorData assemble(TensorInfo info) {
    List<SliceAssembler.Part> parts = new java.util.ArrayList<>();
    for (TensorSlice s : info.slices()) {
      parts.add(new SliceAssembler.Part(s, readSlice(info.name(), s)));
    }
    return SliceAssembler.assemble(info.name(), info.dtype(), info.shape(), parts);
  }

  /** Releases the open files. */
  @Override
  void close();
}
