package io.tfgw.converters.serving;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConcurrentWriteException;
import io.tfgw.core.storage.ConditionalWrites;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Adds a version to a base's {@link VersionManifest} by read-modify-write. Where the store has conditional writes
 * the write commits only if the manifest is still the one read, and is redone on a clash, so two pushes at once
 * both end up listed.
 */
public final class ManifestUpdater {
  private static final int ATTEMPTS = 8;
  private final Storage storage;

  public ManifestUpdater(Storage storage) {
    this.storage = storage;
  }

  public void add(Location base, VersionManifest.ModelVersion version) {
    Location file = VersionManifest.locationIn(base);
    Optional<ConditionalWrites> conditional = storage.capability(ConditionalWrites.class, file);
    for (int attempt = 1; ; attempt++) {
      Optional<String> seen = conditional.isPresent() ? conditional.get().version(file) : Optional.empty();
      VersionManifest current = seen.isPresent() || conditional.isEmpty() ? read(file) : VersionManifest.empty();
      byte[] json = current.with(version).toJson();
      try (AtomicOutputStream out = conditional.isPresent() ? conditional.get().createIf(file, seen)
          : storage.outputFile(file).create()) {
        out.write(json);
        out.commit();
        return;
      } catch (ConcurrentWriteException e) {
        if (attempt == ATTEMPTS) {
          throw new StorageException("Cannot update " + file + ": other writers changed it " + ATTEMPTS
              + " times while tfgw tried; push again", e);
        }
      } catch (IOException e) {
        throw new StorageException("Cannot write " + file + ": " + e.getMessage(), e);
      }
    }
  }

  private VersionManifest read(Location file) {
    if (!storage.exists(file)) {
      return VersionManifest.empty();
    }
    try (InputStream in = storage.inputFile(file).newStream()) {
      return VersionManifest.parse(in.readAllBytes(), file);
    } catch (IOException e) {
      throw new StorageException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
