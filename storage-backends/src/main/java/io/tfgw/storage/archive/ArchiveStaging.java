package io.tfgw.storage.archive;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;

/**
 * The pending changes to one archive: files written (each spooled to a temp file when its output commits) and
 * files deleted. {@link #publish} writes the new archive, its old entries overlaid with these changes, through
 * the container's own {@link AtomicOutputStream}, so the archive is replaced in one step.
 */
final class ArchiveStaging {
  record Staged(Path file, long length, long crc32) {}

  private final Location container;
  private final ArchiveFormat format;
  private final TempFiles temps;
  private final Map<String, Staged> written = new ConcurrentHashMap<>();
  private final Set<String> deleted = ConcurrentHashMap.newKeySet();

  ArchiveStaging(Location container, TempFiles temps) {
    this.container = container;
    this.format = ArchiveFormat.forName(container); // fails early for a name we cannot write
    this.temps = temps;
  }

  Location container() {
    return container;
  }

  /** A staged file, null when this staging has no new version of it. */
  Staged written(String path) {
    return written.get(path);
  }

  boolean isDeleted(String path) {
    return deleted.contains(path);
  }

  Map<String, Staged> allWritten() {
    return written;
  }

  void delete(String path) {
    Staged old = written.remove(path);
    if (old != null) {
      TempFiles.deleteQuietly(old.file());
    }
    deleted.add(path);
  }

  AtomicOutputStream newEntry(Location location) {
    Path file = temps.newFile("entry");
    OutputStream out;
    try {
      out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
    } catch (IOException e) {
      throw new StorageException("Cannot stage " + location + ": " + e.getMessage(), e);
    }
    return new AtomicOutputStream() {
      private final CRC32 crc = new CRC32();
      private long position;

      @Override
      public long position() {
        return position;
      }

      @Override
      public Location location() {
        return location;
      }

      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw new StorageException("Cannot stage " + location + " in " + file + ": " + e.getMessage(), e);
        }
        crc.update(b, off, len);
        position += len;
      }

      @Override
      protected void doCommit() {
        try {
          out.close();
        } catch (IOException e) {
          TempFiles.deleteQuietly(file);
          throw new StorageException("Cannot stage " + location + ": " + e.getMessage(), e);
        }
        Staged old = written.put(location.path(), new Staged(file, position, crc.getValue()));
        deleted.remove(location.path());
        if (old != null) {
          TempFiles.deleteQuietly(old.file());
        }
      }

      @Override
      protected void doAbort() {
        try {
          out.close();
        } catch (IOException ignored) {
          // deleted below
        }
        TempFiles.deleteQuietly(file);
      }
    };
  }

  /** Writes the archive: {@code base}'s entries minus deletions, plus what was written, sorted by name. */
  void publish(Storage storage, ArchiveIndex base) {
    SortedMap<String, ArchiveWriter.Content> contents = new TreeMap<>(ArchiveIndex::bytewise);
    Map<String, long[]> sizes = new java.util.HashMap<>();
    base.entries().forEach((name, entry) -> {
      if (!deleted.contains(name) && !written.containsKey(name)) {
        contents.put(name, () -> {
          io.tfgw.core.storage.RandomAccessInput in = entry.opener().open(Location.inArchive(container, name));
          InputStream s = in.stream(0, entry.length());
          return new java.io.FilterInputStream(s) {
            @Override
            public void close() throws IOException {
              try {
                super.close();
              } finally {
                in.close();
              }
            }
          };
        });
        sizes.put(name, new long[] {entry.length(), -1});
      }
    });
    written.forEach((name, staged) -> {
      contents.put(name, () -> Files.newInputStream(staged.file()));
      sizes.put(name, new long[] {staged.length(), staged.crc32()});
    });
    try (AtomicOutputStream out = storage.outputFile(container).create()) {
      ArchiveWriter writer = new ArchiveWriter(format, out);
      for (Map.Entry<String, ArchiveWriter.Content> e : contents.entrySet()) {
        long[] s = sizes.get(e.getKey());
        writer.add(e.getKey(), s[0], s[1], e.getValue());
      }
      writer.finish();
      out.commit();
    } catch (IOException e) {
      throw new StorageException("Cannot write archive " + container + ": " + e.getMessage(), e);
    }
  }

  void discard() {
    for (Staged s : written.values()) {
      TempFiles.deleteQuietly(s.file());
    }
    written.clear();
    deleted.clear();
  }
}
