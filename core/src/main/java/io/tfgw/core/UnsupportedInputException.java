package io.tfgw.core;

/** A well-formed input that uses a feature tfgw does not handle (a dtype, an op, a layer, a format version). */
public class UnsupportedInputException extends TfgwException {
  public UnsupportedInputException(String message) {
    super(message);
  }
}
