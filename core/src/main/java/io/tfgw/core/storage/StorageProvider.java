package io.tfgw.core.storage;

import java.util.Set;

/**
 * A storage backend, found with {@link java.util.ServiceLoader}. Backends live in their own module; core never
 * names them.
 */
public interface StorageProvider {
  /** Location schemes this backend serves, e.g. {@code file}. */
  Set<String> schemes();

  /**
   * Creates the backend. {@code router} gives access to every other backend (an archive reads its container
   * through it).
   */
  Storage create(StorageOptions options, StorageRouter router);
}
