package io.tfgw.runtime;

/** Computes one op: reads inputs and attributes from the context, sets outputs on it. */
@FunctionalInterface
public interface OpKernel {
  void compute(OpContext ctx);
}
