package io.tfgw.core.storage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The {@link Storage} the application uses: it sends each call to the backend for the location's scheme, creating
 * backends on first use. Backends come from {@link ServiceLoader} or are registered explicitly.
 *
 * <p>The router is also a command's unit of work: a command that writes calls {@link #commit()} once at its end,
 * which publishes what {@link StagedStorage} backends (archives) staged; {@link #close()} discards whatever was
 * not committed, so a failed command leaves no half-written archive.
 */
public final class StorageRouter implements Storage {
  private final StorageOptions options;
  private final Map<String, StorageProvider> providers = new HashMap<>();
  private final Map<String, Storage> open = new LinkedHashMap<>();

  private StorageRouter(StorageOptions options) {
    this.options = options;
  }

  /** A router over every backend on the class path. */
  public static StorageRouter create(StorageOptions options) {
    StorageRouter router = new StorageRouter(options);
    for (StorageProvider provider : ServiceLoader.load(StorageProvider.class, StorageRouter.class.getClassLoader())) {
      router.register(provider);
    }
    return router;
  }

  /** A router over every backend on the class path, with the default settings (environment, AWS default chains). */
  public static StorageRouter create() {
    return create(StorageOptions.defaults());
  }

  /** Adds a backend for the provider's schemes (replacing any registered for them); returns this router. */
  public StorageRouter register(StorageProvider provider) {
    for (String scheme : provider.schemes()) {
      providers.put(scheme, provider);
    }
    return this;
  }

  /** The settings the backends are created with. */
  public StorageOptions options() {
    return options;
  }

  /** The backend serving this location. */
  public synchronized Storage backendFor(Location location) {
    String scheme = location.scheme();
    Storage storage = open.get(scheme);
    if (storage == null) {
      StorageProvider provider = providers.get(scheme);
      if (provider == null) {
        throw new StorageException("No storage backend for " + scheme + " locations (" + location
            + "); available: " + providers.keySet());
      }
      storage = provider.create(options, this);
      open.put(scheme, storage);
    }
    return storage;
  }

  @Override
  public InputFile inputFile(Location location) {
    return backendFor(location).inputFile(location);
  }

  /**
   * Outputs that do not silently clobber a concurrent writer: where the backend has {@link ConditionalWrites}, a
   * file commits only if it is still what it was when the output was created (absent, or the same version). A
   * rewrite after an earlier run still replaces the file; of two writers overlapping in time, the second to commit
   * gets a {@link ConcurrentWriteException} and publishes nothing. Since a model's files are written in the same
   * order by every writer, the loser fails at its first file, so one complete model remains.
   */
  @Override
  public OutputFile outputFile(Location location) {
    Storage backend = backendFor(location);
    OutputFile plain = backend.outputFile(location);
    java.util.Optional<ConditionalWrites> conditional = backend.capability(ConditionalWrites.class, location);
    if (conditional.isEmpty()) {
      return plain;
    }
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        java.util.Optional<String> seen;
        try {
          seen = conditional.get().version(location);
        } catch (StorageException e) {
          // cannot look (write-only credentials, a missing bucket, wrong keys): write as a plain output, whose own
          // request then succeeds or reports the precise reason
          return plain.create();
        }
        return conditional.get().createIf(location, seen);
      }
    };
  }

  @Override
  public List<FileEntry> list(Location directory) {
    return backendFor(directory).list(directory);
  }

  @Override
  public boolean exists(Location location) {
    return backendFor(location).exists(location);
  }

  @Override
  public boolean isDirectory(Location location) {
    return backendFor(location).isDirectory(location);
  }

  @Override
  public void delete(Location location) {
    backendFor(location).delete(location);
  }

  @Override
  public <T> java.util.Optional<T> capability(Class<T> type, Location location) {
    return backendFor(location).capability(type, location);
  }

  /**
   * Publishes everything the staged backends hold (see {@link StagedStorage}). Call it once when a command has
   * written all its outputs; backends without staging have published each file already. On failure everything
   * staged is discarded.
   */
  public synchronized void commit() {
    List<StagedStorage> staged = new ArrayList<>();
    for (Storage storage : open.values()) {
      if (storage instanceof StagedStorage s && s.hasStaged()) {
        staged.add(s);
      }
    }
    try {
      for (StagedStorage s : staged) {
        s.commitStaged();
      }
    } catch (RuntimeException e) {
      abortStaged(e);
      throw e;
    }
  }

  private void abortStaged(RuntimeException failure) {
    for (Storage storage : open.values()) {
      if (storage instanceof StagedStorage s) {
        try {
          s.abortStaged();
        } catch (RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          }
        }
      }
    }
  }

  /** Discards what staged backends hold without publishing it, then closes every backend. */
  @Override
  public synchronized void close() {
    List<RuntimeException> failures = new ArrayList<>();
    abortStaged(null);
    for (Storage storage : open.values()) {
      try {
        storage.close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    open.clear();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
