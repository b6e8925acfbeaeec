package io.tfgw.storage.archive;

import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.ArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.Zip64Mode;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Writes the entries of a new archive into a stream, in the order given. Tar entries use POSIX (pax) headers for
 * long names and large sizes. Zip entries are <em>stored</em> (not deflated): checkpoint data hardly compresses,
 * and stored entries can be read back by positional reads without inflating; use tar.gz for a compressed archive.
 */
final class ArchiveWriter {
  /** The bytes of one entry; may be called twice (a zip entry's CRC-32 must precede its data). */
  interface Content {
    InputStream open() throws IOException;
  }

  private final ArchiveFormat format;
  private final ArchiveOutputStream<?> out;
  private final FileTime time = FileTime.from(Instant.now());

  ArchiveWriter(ArchiveFormat format, OutputStream destination) throws IOException {
    this.format = format;
    OutputStream target = new java.io.FilterOutputStream(destination) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush(); // the destination is committed (or aborted) by its owner, never closed here
      }
    };
    switch (format) {
      case ZIP -> {
        ZipArchiveOutputStream zip = new ZipArchiveOutputStream(target);
        zip.setUseZip64(Zip64Mode.AsNeeded);
        this.out = zip;
      }
      case TAR, TAR_GZ -> {
        OutputStream raw = format == ArchiveFormat.TAR_GZ ? new GzipCompressorOutputStream(target) : target;
        TarArchiveOutputStream tar = new TarArchiveOutputStream(raw);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        this.out = tar;
      }
      default -> throw new IllegalStateException(format.name());
    }
  }

  /** Adds one file; {@code crc32} is the CRC-32 of its bytes, or -1 when unknown (it is then computed). */
  void add(String name, long length, long crc32, Content content) throws IOException {
    if (format == ArchiveFormat.ZIP) {
      ZipArchiveEntry e = new ZipArchiveEntry(name);
      e.setMethod(ZipArchiveEntry.STORED);
      e.setSize(length);
      e.setCompressedSize(length);
      e.setCrc(crc32 >= 0 ? crc32 : crc32Of(content));
      e.setLastModifiedTime(time);
      putAndCopy(e, name, length, content);
    } else {
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(length);
      e.setModTime(time);
      e.setMode(0100644);
      putAndCopy(e, name, length, content);
    }
  }

  @SuppressWarnings("unchecked")
  private <E extends org.apache.commons.compress.archivers.ArchiveEntry> void putAndCopy(E entry, String name,
      long length, Content content) throws IOException {
    ArchiveOutputStream<E> typed = (ArchiveOutputStream<E>) out;
    typed.putArchiveEntry(entry);
    long copied;
    try (InputStream in = content.open()) {
      copied = in.transferTo(typed);
    }
    if (copied != length) {
      throw new StorageException("Entry " + name + " changed while the archive was written (" + copied + " bytes, expected "
          + length + ")");
    }
    typed.closeArchiveEntry();
  }

  private static long crc32Of(Content content) throws IOException {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = content.open()) {
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
      }
    }
    return crc.getValue();
  }

  /** Writes the archive's trailer (zip central directory, tar end blocks, gzip trailer). */
  void finish() throws IOException {
    out.finish();
    out.close(); // writes the gzip trailer; the destination itself is shielded from the close
  }
}
