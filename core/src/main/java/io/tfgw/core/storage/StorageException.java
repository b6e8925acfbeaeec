package io.tfgw.core.storage;

import io.tfgw.core.TfgwException;

/** An I/O failure of a storage backend (local disk, object store, archive); the message names the location. */
public class StorageException extends TfgwException {
  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
