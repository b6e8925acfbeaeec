package io.tfgw.storage.archive;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.RandomAccessSlice;
import io.tfgw.core.storage.StagedStorage;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Paths inside zip, tar and tar.gz archives ({@code CONTAINER!/inner/path}), the container itself being any
 * location: local, S3, memory, or an entry of another archive. The container is read and written through the
 * {@link Storage} given at creation (the router), never directly.
 *
 * <p><b>Reading.</b> An archive is indexed once on first use ({@link ArchiveIndex}) and then serves positional
 * reads of its entries: windows of the archive for tar and stored zip entries, a temp copy for compressed ones.
 * Links and entry names that escape the archive root ({@code ../x}, {@code /etc/x}) are refused.
 *
 * <p><b>Writing is staged</b> ({@link StagedStorage}). A committed entry output goes to a temp file, and from then
 * on this storage reads it as part of the archive, so a command can write a checkpoint into an archive and read
 * it back. The archive itself is written only by {@link #commitStaged()} (which commands reach through
 * {@code StorageRouter.commit()} once they have succeeded): the old archive's entries, minus deleted ones,
 * overlaid with the new ones, sorted by name, streamed through the container's atomic output. A command that
 * fails leaves the archive as it was; {@link #abortStaged()} and {@link #close()} delete the staging files.
 * The archive format of a new archive comes from its name ({@code .zip}, {@code .tar}, {@code .tar.gz},
 * {@code .tgz}).
 */
public final class ArchiveStorage implements StagedStorage {
  private final Storage containers;
  private final TempFiles temps;
  private final Map<Location, ArchiveIndex> indexes = new HashMap<>();
  private final Map<Location, ArchiveStaging> staging = new LinkedHashMap<>();

  /** @param containers where the archives themselves live (normally the router, which also routes back here) */
  public ArchiveStorage(Storage containers) {
    this(containers, OptionalLong.empty());
  }

  /**
   * @param maxInflated a cap on the bytes one compressed entry (or a whole tar.gz) may decompress to; without it,
   *     deflate's maximum ratio and the free temp space bound them
   */
  public ArchiveStorage(Storage containers, OptionalLong maxInflated) {
    this.containers = containers;
    this.temps = new TempFiles(maxInflated);
  }

  private static Location containerOf(Location location) {
    if (location.container() == null) {
      throw new IllegalArgumentException(location + " is not a path inside an archive");
    }
    return location.container();
  }

  private ArchiveIndex index(Location container) {
    synchronized (indexes) {
      ArchiveIndex index = indexes.get(container);
      if (index == null) {
        index = ArchiveIndex.open(containers, container, temps);
        indexes.put(container, index);
      }
      return index;
    }
  }

  private synchronized ArchiveStaging staging(Location container) {
    return staging.get(container);
  }

  /** The entry as this storage currently sees it (staged changes first), or null when there is none. */
  private ArchiveIndex.Entry lookup(Location location) {
    Location container = containerOf(location);
    String path = location.path();
    ArchiveStaging s = staging(container);
    if (s != null) {
      if (s.isDeleted(path)) {
        return null;
      }
      ArchiveStaging.Staged staged = s.written(path);
      if (staged != null) {
        return stagedEntry(staged);
      }
    }
    return index(container).entries().get(path);
  }

  private static ArchiveIndex.Entry stagedEntry(ArchiveStaging.Staged staged) {
    return new ArchiveIndex.Entry(staged.length(), loc -> {
      RandomAccessInput file = new io.tfgw.storage.local.LocalStorage()
          .inputFile(Location.local(staged.file())).open();
      return new RandomAccessSlice(loc, file, 0, staged.length(), true);
    });
  }

  @Override
  public InputFile inputFile(Location location) {
    return new InputFile() {
      @Override
      public Location location() {
        return location;
      }

      private ArchiveIndex.Entry entry() {
        ArchiveIndex.Entry e = lookup(location);
        if (e == null) {
          throw ArchiveIndex.notFound(location);
        }
        return e;
      }

      @Override
      public long length() {
        return entry().length();
      }

      @Override
      public boolean exists() {
        return lookup(location) != null;
      }

      @Override
      public RandomAccessInput open() {
        return entry().opener().open(location);
      }
    };
  }

  @Override
  public OutputFile outputFile(Location location) {
    Location container = containerOf(location);
    if (location.path().isEmpty()) {
      throw new StorageException(location + " is the root of the archive, not a file in it");
    }
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        return stagingFor(container).newEntry(location);
      }
    };
  }

  private synchronized ArchiveStaging stagingFor(Location container) {
    return staging.computeIfAbsent(container, c -> new ArchiveStaging(c, temps));
  }

  @Override
  public List<FileEntry> list(Location directory) {
    Location container = containerOf(directory);
    String prefix = directory.path().isEmpty() ? "" : directory.path() + "/";
    SortedMap<String, Long> files = new TreeMap<>(ArchiveIndex::bytewise);
    index(container).entries().forEach((name, e) -> files.put(name, e.length()));
    ArchiveStaging s = staging(container);
    if (s != null) {
      files.keySet().removeIf(s::isDeleted);
      s.allWritten().forEach((name, staged) -> files.put(name, staged.length()));
    }
    List<FileEntry> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : files.tailMap(prefix).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.add(new FileEntry(Location.inArchive(container, e.getKey()), e.getValue()));
    }
    return out;
  }

  @Override
  public void delete(Location location) {
    if (lookup(location) != null) {
      stagingFor(containerOf(location)).delete(location.path());
    }
  }

  @Override
  public synchronized boolean hasStaged() {
    return !staging.isEmpty();
  }

  /**
   * Writes every staged archive, innermost first: writing an archive that lives inside another archive stages it
   * there, and that outer archive is written after it.
   */
  @Override
  public void commitStaged() {
    while (true) {
      ArchiveStaging next;
      synchronized (this) {
        next = staging.values().stream().max(Comparator.comparingInt(s -> depth(s.container()))).orElse(null);
      }
      if (next == null) {
        return;
      }
      Location container = next.container();
      try {
        next.publish(containers, index(container));
      } catch (RuntimeException e) {
        abortStaged();
        throw e;
      }
      synchronized (this) {
        staging.remove(container);
      }
      next.discard();
      synchronized (indexes) {
        ArchiveIndex old = indexes.remove(container); // the archive changed: index it anew when read again
        if (old != null) {
          old.close();
        }
      }
    }
  }

  private static int depth(Location location) {
    int d = 0;
    for (Location c = location.container(); c != null; c = c.container()) {
      d++;
    }
    return d;
  }

  @Override
  public synchronized void abortStaged() {
    for (ArchiveStaging s : staging.values()) {
      s.discard();
    }
    staging.clear();
  }

  @Override
  public void close() {
    abortStaged();
    synchronized (indexes) {
      indexes.values().forEach(ArchiveIndex::close);
      indexes.clear();
    }
    temps.close();
  }
}
