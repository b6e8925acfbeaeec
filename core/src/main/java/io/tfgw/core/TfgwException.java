package io.tfgw.core;

/**
 * Root of tfgw's unchecked exception family. The message is user-facing and stable: it says what went wrong,
 * where (location, tensor, byte offset, node, layer) and, where there is one, what to do about it. The CLI prints
 * it as is and exits 1; {@code --debug} adds the cause chain.
 */
public class TfgwException extends RuntimeException {
  public TfgwException(String message) {
    super(message);
  }

  public TfgwException(String message, Throwable cause) {
    super(message, cause);
  }
}
