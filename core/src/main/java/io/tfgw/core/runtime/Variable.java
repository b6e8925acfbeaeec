package io.tfgw.core.runtime;

import io.tfgw.core.tensor.DType;

/** A variable of a session: its key (shared name or node name), dtype and current value (null: not initialized). */
public final class Variable {
  private final String key;
  private final DType dtype;
  private Tensor value;

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

  public Tensor value() {
    return value;
  }

  public boolean isInitialized() {
    return value != null;
  }

  public void assign(Tensor v) {
    if (dtype != null && v.dtype() != dtype) {
      throw new KernelException("cannot assign a " + v.dtype() + " value to variable '" + key + "' of dtype " + dtype);
    }
    value = v;
  }

  @Override
  public String toString() {
    return "variable(" + key + ")";
  }
}
