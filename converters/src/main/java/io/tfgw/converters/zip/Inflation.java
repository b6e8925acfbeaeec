package io.tfgw.converters.zip;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Inflating deflated entries without letting a zip bomb fill memory or disk. Before anything is inflated the
 * declared size must be one deflate can produce from the compressed bytes (at most about 1032:1, so more than
 * {@link #MAX_RATIO} is a lie) and fit the free space of the temp directory; while inflating, the output may never
 * exceed the declared size, and at the end its crc must match.
 */
final class Inflation {
  static final long MAX_RATIO = 1100;
  /** Left free on the temp file system so that the rest of the machine keeps working. */
  static final long DISK_RESERVE = 64L << 20;

  private Inflation() {}

  private static void checkDeclared(ZipReader.Entry e, String what) {
    long physics = e.compressedSize() > Long.MAX_VALUE / MAX_RATIO ? Long.MAX_VALUE
        : e.compressedSize() * MAX_RATIO + 65_536;
    if (e.size() > physics) {
      throw new CorruptInputException(what + " declares " + e.size() + " bytes, more than deflate can produce from "
          + e.compressedSize() + " compressed bytes: the archive is corrupt or a decompression bomb");
    }
  }

  static byte[] inflateToMemory(RandomAccessInput in, ZipReader.Entry e, String what) {
    checkDeclared(e, what);
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(e.size(), 1 << 20));
    copy(in, e, out, what);
    return out.toByteArray();
  }

  static RandomAccessInput inflateToTempFile(RandomAccessInput in, ZipReader.Entry e, Location where, String what) {
    checkDeclared(e, what);
    Path file;
    try {
      file = Files.createTempFile("tfgw-unzip-", ".tmp");
    } catch (IOException ex) {
      throw new UnsupportedInputException("Cannot create a temp file to inflate " + what + ": " + ex.getMessage());
    }
    try {
      long room = Files.getFileStore(file).getUsableSpace() - DISK_RESERVE;
      if (e.size() > room) {
        throw new UnsupportedInputException(what + " inflates to " + e.size() + " bytes, more than the " + Math.max(0, room)
            + " bytes free for temp files in " + file.getParent() + " (set -Djava.io.tmpdir to a disk with space)");
      }
      try (OutputStream out = Files.newOutputStream(file)) {
        copy(in, e, out, what);
      }
      return new TempFileInput(where, file);
    } catch (IOException ex) {
      deleteQuietly(file);
      throw new UnsupportedInputException("Cannot inflate " + what + " into " + file + ": " + ex.getMessage());
    } catch (RuntimeException ex) {
      deleteQuietly(file);
      throw ex;
    }
  }

  /** Inflates the entry into {@code out}, refusing more bytes than declared; checks the crc. */
  private static void copy(RandomAccessInput in, ZipReader.Entry e, OutputStream out, String what) {
    Inflater inflater = new Inflater(true);
    CRC32 crc = new CRC32();
    try (InputStream raw = in.stream(e.dataOffset(), e.compressedSize());
        InputStream data = new CheckedInputStream(new InflaterInputStream(raw, inflater, 1 << 16), crc)) {
      byte[] buffer = new byte[1 << 16];
      long total = 0;
      for (int n; (n = data.read(buffer)) > 0; ) {
        total += n;
        if (total > e.size()) {
          throw new CorruptInputException(what + " inflates to more than the " + e.size() + " bytes the archive "
              + "declares: the archive is corrupt or a decompression bomb");
        }
        out.write(buffer, 0, n);
      }
      if (total != e.size()) {
        throw new CorruptInputException(what + " inflates to " + total + " bytes, but the archive declares " + e.size());
      }
    } catch (java.util.zip.ZipException ex) {
      throw new CorruptInputException(what + " is not valid deflate data (" + ex.getMessage() + "); the archive is damaged");
    } catch (java.io.EOFException ex) {
      throw new CorruptInputException(what + " ends before its deflate data does; the archive is truncated");
    } catch (IOException ex) {
      throw new CorruptInputException("Cannot inflate " + what + ": " + ex.getMessage());
    } finally {
      inflater.end();
    }
    if (crc.getValue() != e.crc()) {
      throw new CorruptInputException(what + " has crc32 " + Long.toHexString(crc.getValue()) + ", but the archive "
          + "records " + Long.toHexString(e.crc()) + ": the archive is damaged");
    }
  }

  static void checkCrc(byte[] data, ZipReader.Entry e, String what) {
    CRC32 crc = new CRC32();
    crc.update(data);
    if (crc.getValue() != e.crc()) {
      throw new CorruptInputException(what + " has crc32 " + Long.toHexString(crc.getValue()) + ", but the archive "
          + "records " + Long.toHexString(e.crc()) + ": the archive is damaged");
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a temp file left behind is harmless; the error that brought us here matters more
    }
  }
}
