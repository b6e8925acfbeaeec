package io.tfgw.core;

/** A stored crc32c does not match the bytes read: the data is damaged or comes from a different write. */
public class ChecksumMismatchException extends CorruptInputException {
  public ChecksumMismatchException(String message) {
    super(message);
  }
}
