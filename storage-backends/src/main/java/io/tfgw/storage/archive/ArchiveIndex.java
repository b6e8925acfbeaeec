package io.tfgw.storage.archive;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.RandomAccessSlice;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.storage.local.LocalStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The entries of one existing archive, indexed once and then served by positional reads.
 *
 * <ul>
 *   <li>tar: {@code TarFile} reads the headers (seeking over the data), each entry is a window of the archive.</li>
 *   <li>tar.gz: gzip has no random access, so the tar is decompressed once into a temp file, then as tar.</li>
 *   <li>zip: the central directory is read; stored entries are windows of the archive, compressed ones are
 *       inflated into a temp file the first time they are opened.</li>
 * </ul>
 * Links and entries whose names escape the archive root are refused when indexing; directories are skipped.
 */
final class ArchiveIndex implements AutoCloseable {
  /** How to get the bytes of one entry. */
  interface Opener {
    RandomAccessInput open(Location location);
  }

  record Entry(long length, Opener opener) {}

  private final Location container;
  private final SortedMap<String, Entry> entries;
  private final List<AutoCloseable> resources;

  private ArchiveIndex(Location container, SortedMap<String, Entry> entries, List<AutoCloseable> resources) {
    this.container = container;
    this.entries = Collections.unmodifiableSortedMap(entries);
    this.resources = resources;
  }

  /** The index of the archive at {@code container}; empty when there is no such archive. */
  static ArchiveIndex open(Storage storage, Location container, TempFiles temps) {
    if (!storage.exists(container)) {
      return new ArchiveIndex(container, new TreeMap<>(), List.of());
    }
    List<AutoCloseable> resources = new ArrayList<>();
    RandomAccessInput in = storage.inputFile(container).open();
    resources.add(in);
    try {
      byte[] head = in.readFully(0, (int) Math.min(512, in.length()));
      ArchiveFormat format = ArchiveFormat.detect(head);
      if (format == null) {
        throw new UnsupportedInputException(container + " is not a zip, tar or tar.gz archive, so it cannot hold "
            + "paths after '!/'");
      }
      SortedMap<String, Entry> entries = new TreeMap<>(ArchiveIndex::bytewise);
      switch (format) {
        case TAR -> indexTar(container, in, entries);
        case TAR_GZ -> {
          RandomAccessInput tar = gunzip(container, in, temps);
          resources.add(tar);
          indexTar(container, tar, entries);
        }
        case ZIP -> resources.add(indexZip(container, in, entries, temps));
        default -> throw new IllegalStateException(format.name());
      }
      return new ArchiveIndex(container, entries, resources);
    } catch (IOException e) {
      closeAll(resources);
      throw new CorruptInputException("Cannot read archive " + container + ": " + e.getMessage()
          + " (is it truncated or not an archive?)");
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  static int bytewise(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static RandomAccessInput gunzip(Location container, RandomAccessInput in, TempFiles temps) throws IOException {
    Path tar = temps.newFile("gunzip");
    InflationLimit limit = temps.inflationLimit(in.length());
    try (InputStream gz = GzipCompressorInputStream.builder().setInputStream(in.stream(0, in.length()))
            .setDecompressConcatenated(true).get();
        OutputStream out = Files.newOutputStream(tar)) {
      limit.copy(gz, out, "Archive " + container);
    } catch (IOException | RuntimeException e) {
      TempFiles.deleteQuietly(tar);
      throw e;
    }
    return new LocalStorage().inputFile(Location.local(tar)).open();
  }

  private static void indexTar(Location container, RandomAccessInput in, SortedMap<String, Entry> entries)
      throws IOException {
    try (TarFile tar = new TarFile(new ChannelOverInput(in))) {
      for (TarArchiveEntry e : tar.getEntries()) {
        if (e.isSymbolicLink() || e.isLink()) {
          throw EntryNames.link(e.getName(), container);
        }
        String name = EntryNames.normalize(e.getName(), container);
        if (e.isDirectory() || name.isEmpty()) {
          continue;
        }
        if (!e.isFile() || e.isSparse()) {
          throw new UnsupportedInputException("Archive " + container + " holds '" + e.getName() + "', which is not a "
              + "regular file (device, fifo or sparse file); tfgw reads archives of regular files only");
        }
        long offset = e.getDataOffset();
        long size = e.getSize();
        if (offset < 0 || offset + size > in.length()) {
          throw new CorruptInputException("Archive " + container + " is truncated: entry '" + name + "' ends past its end");
        }
        entries.put(name, new Entry(size, loc -> new RandomAccessSlice(loc, in, offset, size, false)));
      }
    }
  }

  private static ZipFile indexZip(Location container, RandomAccessInput in, SortedMap<String, Entry> entries,
      TempFiles temps) throws IOException {
    ZipFile zip = ZipFile.builder().setSeekableByteChannel(new ChannelOverInput(in)).get();
    try {
      for (Enumeration<ZipArchiveEntry> en = zip.getEntries(); en.hasMoreElements(); ) {
        ZipArchiveEntry e = en.nextElement();
        if (e.isUnixSymlink()) {
          throw EntryNames.link(e.getName(), container);
        }
        String name = EntryNames.normalize(e.getName(), container);
        if (e.isDirectory() || name.isEmpty()) {
          continue;
        }
        long size = e.getSize();
        if (size < 0) {
          throw new CorruptInputException("Archive " + container + ": entry '" + name + "' has no size in the central "
              + "directory; the zip is corrupt");
        }
        if (e.getMethod() == ZipArchiveEntry.STORED && e.getDataOffset() >= 0 && e.getCompressedSize() == size) {
          long offset = e.getDataOffset();
          if (offset + size > in.length()) {
            throw new CorruptInputException("Archive " + container + " is truncated: entry '" + name + "' ends past its end");
          }
          entries.put(name, new Entry(size, loc -> new RandomAccessSlice(loc, in, offset, size, false)));
        } else {
          entries.put(name, new Entry(size, loc -> inflate(zip, e, loc, container, temps)));
        }
      }
      return zip;
    } catch (RuntimeException ex) {
      zip.close();
      throw ex;
    }
  }

  private static RandomAccessInput inflate(ZipFile zip, ZipArchiveEntry e, Location loc, Location container,
      TempFiles temps) {
    if (!zip.canReadEntryData(e)) {
      throw new UnsupportedInputException("Entry " + e.getName() + " of " + container + " is encrypted or compressed "
          + "with a method tfgw cannot read; re-create the archive with plain deflate");
    }
    String what = "Entry " + e.getName() + " of " + container;
    InflationLimit limit = temps.inflationLimit(Math.max(0, e.getCompressedSize()));
    limit.checkDeclared(e.getSize(), what);
    // and never more than declared: the central directory could lie about the size to pass the check above
    InflationLimit declared = new InflationLimit(e.getSize(), "more than the " + e.getSize()
        + " bytes the archive declares; the archive is corrupt or a decompression bomb");
    synchronized (zip) {
      try {
        Path file = temps.newFile("unzip");
        try (InputStream data = zip.getInputStream(e); OutputStream out = Files.newOutputStream(file)) {
          declared.copy(data, out, what);
        } catch (IOException | RuntimeException ex) {
          TempFiles.deleteQuietly(file);
          throw ex;
        }
        RandomAccessInput local = new LocalStorage().inputFile(Location.local(file)).open();
        if (local.length() != e.getSize()) {
          local.close();
          throw new CorruptInputException("Entry " + e.getName() + " of " + container + " inflates to " + local.length()
              + " bytes, but the archive says " + e.getSize());
        }
        return new RandomAccessSlice(loc, local, 0, local.length(), true);
      } catch (IOException ex) {
        throw new CorruptInputException("Cannot inflate entry " + e.getName() + " of " + container + ": " + ex.getMessage());
      }
    }
  }

  Location container() {
    return container;
  }

  SortedMap<String, Entry> entries() {
    return entries;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception ignored) {
        // closing what was opened for a failed index
      }
    }
  }

  @Override
  public void close() {
    closeAll(resources);
  }

  static StorageException notFound(Location location) {
    return new io.tfgw.core.storage.LocationNotFoundException(location, "No such file: " + location
        + " (no entry " + location.path() + " in " + location.container() + ")");
  }
}
