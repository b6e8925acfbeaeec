package io.tfgw.runtime;

import io.tfgw.core.WrongInputException;

/**
 * Running a graph failed at one node because of its inputs (shapes or values that the op rejects, a placeholder
 * that was not fed, a variable that has no value). The message names the node and its op.
 */
public class OpFailedException extends WrongInputException {
  private final String node;
  private final String op;

  public OpFailedException(String node, String op, String message) {
    super("Node '" + node + "' (" + op + "): " + message);
    this.node = node;
    this.op = op;
  }

  public String node() {
    return node;
  }

  public String op() {
    return op;
  }
}
