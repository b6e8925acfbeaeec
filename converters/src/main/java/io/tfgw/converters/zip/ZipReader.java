package io.tfgw.converters.zip;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.RandomAccessSlice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A zip file read from its central directory with positional reads, for formats that are zips (Keras's
 * {@code .keras}). Stored entries are served in place as windows of the file (an S3 object is read by ranges, never
 * copied); deflated entries are inflated with bounds. Hostile archives are refused while indexing, before any entry
 * is read: duplicate names (readers disagree on which one counts), names that escape the root, links, encrypted
 * entries, entries that overlap or run past the end, and more entries or a larger directory than any model needs.
 *
 * <p>Written here rather than taken from the archive storage backend so that format readers do not depend on
 * storage backends; the bounds follow the same reasoning (see {@link Inflation}).
 */
public final class ZipReader implements AutoCloseable {
  /** More entries than this is not a model file (Keras writes 3 plus its assets). */
  static final int MAX_ENTRIES = 100_000;
  /** The central directory is read into memory; 64 MiB holds ~500,000 entries with long names. */
  static final long MAX_DIRECTORY_BYTES = 64L << 20;

  private static final int EOCD = 0x06054b50;
  private static final int ZIP64_EOCD = 0x06064b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int CENTRAL = 0x02014b50;
  private static final int LOCAL = 0x04034b50;
  private static final Charset CP437 = cp437();

  /** One entry: its normalised name, compression method (0 stored, 8 deflated), sizes, crc and data offset. */
  public record Entry(String name, int method, long compressedSize, long size, long crc, long dataOffset) {
    public boolean isStored() {
      return method == 0;
    }
  }

  private final Location location;
  private final RandomAccessInput input;
  private final Map<String, Entry> entries;

  private ZipReader(Location location, RandomAccessInput input, Map<String, Entry> entries) {
    this.location = location;
    this.input = input;
    this.entries = Collections.unmodifiableMap(entries);
  }

  /** Indexes the zip in {@code input} (which the reader then owns and closes). */
  public static ZipReader open(RandomAccessInput input, Location location) {
    try {
      return new ZipReader(location, input, index(input, location));
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }

  public Location location() {
    return location;
  }

  /** The entries in the order of the central directory, by normalised name; directories are left out. */
  public Map<String, Entry> entries() {
    return entries;
  }

  public Entry entry(String name) {
    return entries.get(name);
  }

  /** The bytes of a small entry (config files), at most {@code maxBytes}; crc-checked. */
  public byte[] readAll(Entry e, long maxBytes) {
    String what = "Entry " + e.name() + " of " + location;
    if (e.size() > maxBytes) {
      throw new UnsupportedInputException(what + " is " + e.size() + " bytes; tfgw reads at most " + maxBytes
          + " bytes of it (a file this large is not what a model archive holds there)");
    }
    byte[] out = e.isStored() ? input.readFully(e.dataOffset(), (int) e.size())
        : Inflation.inflateToMemory(input, e, what);
    Inflation.checkCrc(out, e, what);
    return out;
  }

  /**
   * The entry as a file of its own: a window of the zip for a stored entry (nothing is copied or read now), an
   * inflated temp file (deleted on close) for a deflated one.
   */
  public RandomAccessInput open(Entry e) {
    Location where = Location.inArchive(location, e.name());
    if (e.isStored()) {
      return new RandomAccessSlice(where, input, e.dataOffset(), e.size(), false);
    }
    return Inflation.inflateToTempFile(input, e, where, "Entry " + e.name() + " of " + location);
  }

  @Override
  public void close() {
    input.close();
  }

  // ---- the central directory ----

  private static Map<String, Entry> index(RandomAccessInput in, Location where) {
    long length = in.length();
    if (length < 22) {
      throw notZip(where, "it is " + length + " bytes, shorter than the smallest zip");
    }
    int tailLength = (int) Math.min(length, 65_535 + 22);
    byte[] tail = in.readFully(length - tailLength, tailLength);
    int eocd = -1;
    for (int i = tailLength - 22; i >= 0; i--) {
      if (le32(tail, i) == EOCD && i + 22 + le16(tail, i + 20) <= tailLength) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw notZip(where, "it has no end-of-central-directory record (truncated, or not a zip)");
    }
    long eocdPosition = length - tailLength + eocd;
    if (le16(tail, eocd + 4) != 0 || le16(tail, eocd + 6) != 0) {
      throw new UnsupportedInputException(where + " is a multi-volume (split) zip; join its parts into one file");
    }
    long count = le16(tail, eocd + 10);
    long dirSize = le32u(tail, eocd + 12);
    long dirOffset = le32u(tail, eocd + 16);
    if (count == 0xFFFF || dirSize == 0xFFFFFFFFL || dirOffset == 0xFFFFFFFFL) {
      long locator = eocdPosition - 20;
      if (locator < 0 || le32(in.readFully(locator, 4), 0) != ZIP64_LOCATOR) {
        throw corrupt(where, "its end record points to a ZIP64 record that is not there");
      }
      long zip64 = le64(in.readFully(locator + 8, 8), 0);
      if (zip64 < 0 || zip64 + 56 > length) {
        throw corrupt(where, "its ZIP64 end record lies outside the file");
      }
      byte[] rec = in.readFully(zip64, 56);
      if (le32(rec, 0) != ZIP64_EOCD) {
        throw corrupt(where, "its ZIP64 end record has a wrong signature");
      }
      count = le64(rec, 32);
      dirSize = le64(rec, 40);
      dirOffset = le64(rec, 48);
    }
    if (count > MAX_ENTRIES) {
      throw new UnsupportedInputException(where + " lists " + count + " entries; tfgw reads model archives of at most "
          + MAX_ENTRIES);
    }
    if (dirSize > MAX_DIRECTORY_BYTES || dirOffset < 0 || dirSize < 0 || dirOffset + dirSize > eocdPosition) {
      throw corrupt(where, "its central directory (" + dirSize + " bytes at " + dirOffset + ") does not fit the file");
    }
    ByteBuffer dir = ByteBuffer.wrap(in.readFully(dirOffset, (int) dirSize)).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Entry> out = new LinkedHashMap<>();
    List<long[]> extents = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      if (dir.remaining() < 46 || dir.getInt(dir.position()) != CENTRAL) {
        throw corrupt(where, "its central directory ends after " + i + " of the " + count + " entries it declares");
      }
      int p = dir.position();
      int madeBy = dir.getShort(p + 4) & 0xffff;
      int flags = dir.getShort(p + 8) & 0xffff;
      int method = dir.getShort(p + 10) & 0xffff;
      long crc = dir.getInt(p + 16) & 0xFFFFFFFFL;
      long compressed = dir.getInt(p + 20) & 0xFFFFFFFFL;
      long size = dir.getInt(p + 24) & 0xFFFFFFFFL;
      int nameLength = dir.getShort(p + 28) & 0xffff;
      int extraLength = dir.getShort(p + 30) & 0xffff;
      int commentLength = dir.getShort(p + 32) & 0xffff;
      long externalAttributes = dir.getInt(p + 38) & 0xFFFFFFFFL;
      long headerOffset = dir.getInt(p + 42) & 0xFFFFFFFFL;
      if (dir.remaining() < 46 + nameLength + extraLength + commentLength) {
        throw corrupt(where, "central directory entry " + i + " runs past the directory");
      }
      byte[] rawName = new byte[nameLength];
      dir.position(p + 46);
      dir.get(rawName);
      String rawText = new String(rawName, (flags & 0x800) != 0 ? StandardCharsets.UTF_8 : CP437);
      ByteBuffer extra = dir.slice(dir.position(), extraLength).order(ByteOrder.LITTLE_ENDIAN);
      dir.position(dir.position() + extraLength + commentLength);
      // ZIP64: the 8-byte values of the fields saturated at 0xFFFFFFFF follow in this order
      if (size == 0xFFFFFFFFL || compressed == 0xFFFFFFFFL || headerOffset == 0xFFFFFFFFL) {
        long[] wide = zip64Extra(extra, size == 0xFFFFFFFFL, compressed == 0xFFFFFFFFL, headerOffset == 0xFFFFFFFFL);
        if (wide == null) {
          throw corrupt(where, "entry '" + rawText + "' needs ZIP64 sizes, but has no ZIP64 extra field");
        }
        size = size == 0xFFFFFFFFL ? wide[0] : size;
        compressed = compressed == 0xFFFFFFFFL ? wide[1] : compressed;
        headerOffset = headerOffset == 0xFFFFFFFFL ? wide[2] : headerOffset;
      }
      if (rawText.endsWith("/") && size == 0) {
        continue; // a directory
      }
      String name = ZipNames.normalize(rawText, where);
      if ((madeBy >> 8) == 3 && ((externalAttributes >>> 16) & 0xF000) == 0xA000) {
        throw new UnsupportedInputException(where + " holds a link '" + rawText + "'; tfgw refuses archives with links");
      }
      if ((flags & 1) != 0) {
        throw new UnsupportedInputException("Entry " + rawText + " of " + where + " is encrypted; tfgw reads "
            + "unencrypted archives only");
      }
      if (method != 0 && method != 8) {
        throw new UnsupportedInputException("Entry " + rawText + " of " + where + " is compressed with zip method "
            + method + "; tfgw reads stored and deflated entries (re-create the archive with plain deflate)");
      }
      if (method == 0 && compressed != size) {
        throw corrupt(where, "stored entry '" + rawText + "' declares " + size + " bytes but occupies " + compressed);
      }
      if (size < 0 || compressed < 0 || headerOffset < 0 || headerOffset + 30 > dirOffset) {
        throw corrupt(where, "entry '" + rawText + "' lies outside the file");
      }
      byte[] local = in.readFully(headerOffset, 30);
      if (le32(local, 0) != LOCAL) {
        throw corrupt(where, "entry '" + rawText + "' has no local header at offset " + headerOffset);
      }
      int localNameLength = le16(local, 26);
      long dataOffset = headerOffset + 30 + localNameLength + le16(local, 28);
      if (localNameLength != nameLength || !java.util.Arrays.equals(in.readFully(headerOffset + 30, nameLength), rawName)) {
        throw corrupt(where, "entry '" + rawText + "' is named differently in its local header than in the "
            + "central directory (a crafted archive: tools would disagree on what it holds)");
      }
      if (dataOffset + compressed > dirOffset) {
        throw corrupt(where, "entry '" + rawText + "' ends past the start of the central directory (truncated?)");
      }
      if (out.containsKey(name)) {
        throw new UnsupportedInputException(where + " holds two entries named '" + name + "'. Readers disagree on "
            + "which one counts (Python's zipfile takes the last, others the first), a trick to hide content from "
            + "a check: tfgw refuses such archives");
      }
      out.put(name, new Entry(name, method, compressed, size, crc, dataOffset));
      extents.add(new long[] {headerOffset, dataOffset + compressed});
    }
    extents.sort(Comparator.comparingLong(a -> a[0]));
    for (int i = 1; i < extents.size(); i++) {
      if (extents.get(i)[0] < extents.get(i - 1)[1]) {
        throw corrupt(where, "two entries overlap in the file (the trick of zip bombs that reuse data)");
      }
    }
    return out;
  }

  private static long[] zip64Extra(ByteBuffer extra, boolean size, boolean compressed, boolean offset) {
    while (extra.remaining() >= 4) {
      int id = extra.getShort() & 0xffff;
      int len = extra.getShort() & 0xffff;
      if (len > extra.remaining()) {
        return null;
      }
      if (id == 1) {
        long[] v = new long[3];
        int need = (size ? 8 : 0) + (compressed ? 8 : 0) + (offset ? 8 : 0);
        if (len < need) {
          return null;
        }
        v[0] = size ? extra.getLong() : 0;
        v[1] = compressed ? extra.getLong() : 0;
        v[2] = offset ? extra.getLong() : 0;
        return v;
      }
      extra.position(extra.position() + len);
    }
    return null;
  }

  private static UnsupportedInputException notZip(Location where, String why) {
    return new UnsupportedInputException(where + " is not a zip archive: " + why);
  }

  static CorruptInputException corrupt(Location where, String why) {
    return new CorruptInputException(where + " is a damaged zip archive: " + why);
  }

  static int le16(byte[] b, int i) {
    return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
  }

  static int le32(byte[] b, int i) {
    return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
  }

  static long le32u(byte[] b, int i) {
    return le32(b, i) & 0xFFFFFFFFL;
  }

  static long le64(byte[] b, int i) {
    return le32u(b, i) | le32u(b, i + 4) << 32;
  }

  private static Charset cp437() {
    try {
      return Charset.forName("IBM437");
    } catch (RuntimeException e) {
      return StandardCharsets.ISO_8859_1;
    }
  }
}
