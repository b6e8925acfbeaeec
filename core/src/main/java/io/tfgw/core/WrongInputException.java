package io.tfgw.core;

/**
 * The user named something that exists but is not what the command needs (the {@code .data} shard instead of the
 * checkpoint prefix, the {@code checkpoint} text file, a directory without a model). The message names the fix.
 */
public class WrongInputException extends TfgwException {
  public WrongInputException(String message) {
    super(message);
  }
}
