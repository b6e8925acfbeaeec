package io.tfgw.converters.keras;

import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import java.util.List;

/**
 * Where the graph builder finds each layer's weights, whichever file layout holds them: a legacy Keras HDF5
 * ({@code layer_names}/{@code weight_names}), or Keras 3's {@code layers/.../vars/<i>} in a {@code .keras} or
 * {@code .weights.h5}.
 */
public interface KerasWeights {
  /**
   * One weight of a layer.
   *
   * @param tensor its name as a tensor of the file read as a checkpoint
   * @param kerasName its name as the file gives it, for messages ({@code dense/kernel:0}, {@code layers/dense/vars/0})
   */
  record Weight(String tensor, String kerasName, DType dtype, Shape shape) {}

  Location location();

  /**
   * The weights of the layer at {@code layerPath} (its name, after the names of the models that nest it), in the
   * order Keras keeps them; empty when the file holds none for it.
   */
  List<Weight> of(List<String> layerPath);

  TensorData read(Weight weight);

  /** {@code keras_version} as the file records it; null when it does not (Keras 1). */
  String kerasVersion();

  /** {@code backend} as the file records it ({@code theano} changes conv kernels); null when not recorded. */
  String backend();

  /**
   * Whether a weight's tensor name is the Keras 3 variable path, which the graph then uses as the variable's name
   * (so a converted checkpoint and a SavedModel agree); otherwise variables are named {@code <layer>/<role>}.
   */
  boolean namesAreVariablePaths();
}
