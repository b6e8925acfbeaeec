package io.tfgw.core.checkpoint;

import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorSlice;

/**
 * Writes a checkpoint tensor by tensor. Nothing is visible at the destination until {@link #commit()}; closing
 * without a commit discards everything written.
 */
public interface CheckpointWriter extends AutoCloseable {
  /** Adds a whole tensor under {@code name}. */
  void add(String name, TensorData data);

  /** Adds one slice of a partitioned variable whose full shape is {@code fullShape}. */
  void addSlice(String name, Shape fullShape, TensorSlice slice, TensorData data);

  /** Finishes and publishes the checkpoint. */
  void commit();

  /** Aborts unless committed. */
  @Override
  void close();
}
