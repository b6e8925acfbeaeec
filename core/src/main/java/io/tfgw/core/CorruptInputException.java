package io.tfgw.core;

/** The input's bytes are not what its format promises: bad magic, impossible sizes, unparsable metadata. */
public class CorruptInputException extends TfgwException {
  public CorruptInputException(String message) {
    super(message);
  }

  public CorruptInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
