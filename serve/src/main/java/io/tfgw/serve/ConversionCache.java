package io.tfgw.serve;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The conversion results under {@code --cache}, bounded to {@code --cache-max-size} bytes by least-recently-used
 * eviction. An entry is a directory named by its content key; it is made as a temp directory and renamed into place
 * (atomic), and never changes afterwards. Its last use is the directory's modification time, set on every hit: the
 * directory itself is the index, so several instances sharing one cache see each other's entries and uses, and a
 * restart needs no index file. Entry sizes are remembered per key (entries are immutable), so an eviction pass is one
 * directory listing plus a stat per entry.
 *
 * <p>Entries in use are never evicted by this instance: a reader or writer pins its key ({@link Lease}) and eviction
 * skips pinned keys. Another instance sharing the directory does not see those pins; what protects a reader there is
 * that {@link Conversions} opens every file of an entry before sending its first byte, and on Linux (POSIX) an
 * unlinked file stays readable through descriptors already open, so the reader gets the complete bytes. A reader
 * that loses the race between finding an entry and opening it sees it absent and converts again.
 */
final class ConversionCache {
  /** 10 GiB: a fixed bound, so every instance sharing one cache directory agrees on it (see README). */
  static final long DEFAULT_MAX_BYTES = 10L << 30;

  private static final Pattern KEY = Pattern.compile("[0-9a-f]{40}");

  private final Path directory;
  private final long maxBytes;
  private final Map<String, Integer> pins = new HashMap<>();
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();
  private long evictions;

  ConversionCache(Path directory, long maxBytes) {
    this.directory = directory;
    this.maxBytes = maxBytes;
  }

  long maxBytes() {
    return maxBytes;
  }

  Path directory() {
    return directory;
  }

  /** A pinned entry (or an uncached result): not evicted by this instance until closed. */
  final class Lease implements AutoCloseable {
    final String key;
    final Path dir;
    final boolean cached;
    private boolean closed;

    private Lease(String key, Path dir, boolean cached) {
      this.key = key;
      this.dir = dir;
      this.cached = cached;
    }

    @Override
    public void close() {
      synchronized (ConversionCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        if (cached) {
          pins.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        }
      }
      if (!cached) {
        deleteTree(dir); // a result larger than the bound lives only while it is streamed
      }
    }
  }

  /** The entry for {@code key}, pinned and marked as just used, or null when it is not in the cache. */
  synchronized Lease open(String key, String resultName) {
    Path dir = directory.resolve(key);
    if (!Files.exists(dir.resolve(resultName))) {
      return null;
    }
    touch(dir);
    pins.merge(key, 1, Integer::sum);
    return new Lease(key, dir, true);
  }

  /**
   * Puts a finished result (the temp directory {@code work}) in the cache under {@code key} and returns it pinned;
   * a result larger than the whole bound is not cached: the lease then holds {@code work} and deletes it on close.
   */
  Lease admit(String key, Path work, String resultName) throws IOException {
    long size = sizeOf(work);
    if (size > maxBytes) {
      return new Lease(key, work, false);
    }
    synchronized (this) {
      Path dir = directory.resolve(key);
      pins.merge(key, 1, Integer::sum); // before making room, so the new entry is never its own victim
      try {
        evictDownTo(maxBytes - size, key);
        try {
          Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
          // another instance sharing the cache finished first: same key, same content
        }
        sizes.put(key, size);
        touch(dir);
        return new Lease(key, dir, true);
      } catch (IOException | RuntimeException e) {
        pins.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        throw e;
      }
    }
  }

  /** Entries, bytes, the bound and evictions so far, for {@code GET /api/cache} and the page. */
  synchronized Map<String, Object> stats() {
    List<Entry> entries = entries();
    long bytes = entries.stream().mapToLong(Entry::size).sum();
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    // no directory path: answers never show the server's file system (as errors show ROOT as ROOT)
    m.put("entries", entries.size());
    m.put("bytes", bytes);
    m.put("max_bytes", maxBytes);
    m.put("evictions", evictions);
    m.put("in_use", pins.size());
    List<Map<String, Object>> list = new ArrayList<>();
    entries.stream().sorted(Comparator.comparingLong(Entry::lastUsed).reversed()).forEach(e -> {
      Map<String, Object> x = new java.util.LinkedHashMap<>();
      x.put("key", e.key());
      x.put("bytes", e.size());
      x.put("last_used", java.time.Instant.ofEpochMilli(e.lastUsed()).toString());
      list.add(x);
    });
    m.put("lru", list); // most recently used first: the last one goes first
    return m;
  }

  private record Entry(String key, Path dir, long size, long lastUsed) {}

  /** Evicts least recently used, unpinned entries until at most {@code target} bytes remain. */
  private void evictDownTo(long target, String keep) {
    List<Entry> entries = entries();
    long total = entries.stream().mapToLong(Entry::size).sum();
    entries.sort(Comparator.comparingLong(Entry::lastUsed).thenComparing(Entry::key));
    for (Entry e : entries) {
      if (total <= target) {
        return;
      }
      if (pins.containsKey(e.key()) || e.key().equals(keep)) {
        continue;
      }
      // renamed away first, so no reader of this or another instance finds a half-deleted entry
      Path doomed = directory.resolve(e.key() + ".evicted-" + java.util.UUID.randomUUID());
      try {
        Files.move(e.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException gone) {
        sizes.remove(e.key()); // another instance evicted it
        total -= e.size();
        continue;
      } catch (IOException failed) {
        continue; // (not on Linux) a file in use cannot be moved: it stays, the next pass tries again
      }
      deleteTree(doomed);
      sizes.remove(e.key());
      total -= e.size();
      evictions++;
    }
  }

  private List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    if (!Files.isDirectory(directory)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!KEY.matcher(name).matches()) {
          continue; // temp and evicted directories: in flight, not entries
        }
        try {
          long lastUsed = Files.getLastModifiedTime(p).toMillis();
          Long size = sizes.get(name);
          if (size == null) {
            size = sizeOf(p);
            sizes.put(name, size);
          }
          out.add(new Entry(name, p, size, lastUsed));
        } catch (IOException gone) {
          sizes.remove(name); // evicted by another instance while listed
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  private static void touch(Path dir) {
    try {
      Files.setLastModifiedTime(dir, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (IOException e) {
      // evicted by another instance in between: the caller's next read finds it absent
    }
  }

  static long sizeOf(Path p) throws IOException {
    try (Stream<Path> walk = Files.walk(p)) {
      long total = 0;
      for (Path f : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(f)) {
          total += Files.size(f);
        }
      }
      return total;
    }
  }

  static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    } catch (IOException e) {
      // a leftover temp directory is harmless: keys never collide with it
    }
  }
}
