package io.tfgw.runtime;

import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;

/**
 * A variable of a session: its key (shared name or node name), dtype and current value (null: not initialized).
 *
 * <p>The value lives in a {@link Buffer}, as a TF variable's value lives in a tensor buffer. The two kinds of TF
 * variables treat that buffer differently, and a graph can tell:
 * <ul>
 *   <li>TF1 ref variables (VariableV2) are updated in place: {@code Assign} copies into the existing buffer when the
 *       variable is initialized and the new value has as many elements, {@code AssignAdd}/{@code AssignSub} always
 *       do. Every tensor read from the variable earlier (the {@code v/read} Identity every TF1 variable has, a
 *       Switch or Reshape of it) aliases that buffer, so an op that consumes it after the update sees the new value.
 *       See {@link #assignInPlace} and {@link #updateInPlace}.
 *   <li>Resource variables (VarHandleOp) are copy-on-write: ReadVariableOp gives the value of that moment, and an
 *       assignment never changes what an earlier read gave. See {@link #assign}.
 * </ul>
 */
public final class Variable {
  private final String key;
  private final DType dtype;
  private Buffer buffer;
  /** Whether the value depends on an unseeded random op (TF draws a fresh seed for those on every run). */
  private boolean nondeterministic;

  /**
   * Where a variable's value lives. Tensors stay immutable: an in-place update swaps the tensor the buffer holds,
   * and every {@link View} of the buffer sees the swap.
   */
  static final class Buffer {
    private Tensor contents;

    Buffer(Tensor contents) {
      this.contents = contents;
    }

    Tensor contents() {
      return contents;
    }
  }

  /**
   * A tensor that aliases a ref variable's buffer (TF's executor dereferences a ref edge into a tensor sharing the
   * buffer; Identity, Switch, Enter or Reshape pass that buffer on). Its elements are read when a consumer runs,
   * so they are whatever the buffer holds then; {@code shape} is the view's own (a Reshape of the variable, or the
   * variable's shape before an in-place Assign of another shape with as many elements).
   */
  record View(Buffer buffer, Shape shape, Variable variable) {
    Tensor read() {
      Tensor t = buffer.contents;
      return t.shape().equals(shape) ? t : t.reshape(shape);
    }

    View reshaped(Shape newShape) {
      return new View(buffer, newShape, variable);
    }

    @Override
    public String toString() {
      return "view(" + variable.key() + ")";
    }
  }

  Variable(String key, DType dtype) {
    this.key = key;
    this.dtype = dtype;
  }

  public String key() {
    return key;
  }

  public DType dtype() {
    return dtype;
  }

  /** The current value; null when not initialized. */
  public Tensor value() {
    return buffer == null ? null : buffer.contents;
  }

  public boolean isInitialized() {
    return buffer != null;
  }

  /** Whether the current value depends on an unseeded random op. */
  public boolean isNondeterministic() {
    return nondeterministic;
  }

  /**
   * Gives the variable a new value in a new buffer (resource variables, restores): tensors read before keep the
   * old value.
   */
  public void assign(Tensor v) {
    assign(v, false);
  }

  /** As {@link #assign(Tensor)}, recording whether the value depends on an unseeded random op. */
  public void assign(Tensor v, boolean nondeterministic) {
    checkDtype(v);
    buffer = new Buffer(v);
    this.nondeterministic = nondeterministic;
  }

  /**
   * TF1 {@code Assign}: writes into the current buffer when the variable is initialized and {@code v} has as many
   * elements (earlier reads see the new value), otherwise gives it a new buffer as TF allocates one.
   */
  public void assignInPlace(Tensor v, boolean nondeterministic) {
    checkDtype(v);
    if (buffer != null && buffer.contents.size() == v.size()) {
      buffer.contents = v;
    } else {
      buffer = new Buffer(v);
    }
    this.nondeterministic = nondeterministic;
  }

  /** TF1 {@code AssignAdd}/{@code AssignSub}: replaces the value in the current buffer (the variable is initialized). */
  public void updateInPlace(Tensor v, boolean nondeterministic) {
    checkDtype(v);
    if (buffer == null) {
      throw new KernelException("Attempting to use uninitialized value " + key);
    }
    buffer.contents = v;
    this.nondeterministic |= nondeterministic;
  }

  /** A view of the current buffer (the variable must be initialized). */
  View view() {
    return new View(buffer, buffer.contents.shape(), this);
  }

  private void checkDtype(Tensor v) {
    if (dtype != null && v.dtype() != dtype) {
      throw new KernelException("cannot assign a " + v.dtype() + " value to variable '" + key + "' of dtype " + dtype);
    }
  }

  @Override
  public String toString() {
    return "variable(" + key + ")";
  }
}
