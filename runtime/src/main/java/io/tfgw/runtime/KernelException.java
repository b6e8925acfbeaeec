package io.tfgw.runtime;

/**
 * An op cannot compute its result from the inputs it was given (incompatible shapes, an index out of range, a
 * division by zero in integers). Thrown by kernels without node context; the executor adds the node's name and op
 * and rethrows it as a {@link OpFailedException}.
 */
public class KernelException extends RuntimeException {
  public KernelException(String message) {
    super(message);
  }
}
