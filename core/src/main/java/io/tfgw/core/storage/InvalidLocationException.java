package io.tfgw.core.storage;

import io.tfgw.core.WrongInputException;

/** Text that is not a location tfgw can use (an unknown scheme, no bucket, a key climbing out with "..'). */
public class InvalidLocationException extends WrongInputException {
  public InvalidLocationException(String message) {
    super(message);
  }
}
