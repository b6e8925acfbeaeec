package io.tfgw.core.table;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.io.ByteCursor;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.storage.RandomAccessInput;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Reads a TensorFlow table file ({@code tensorflow/core/lib/io/table.cc}): the footer from the tail, then the index
 * block; data blocks are read on demand by positional reads. Every block's masked crc32c is checked, uncompressed
 * and snappy blocks are both understood, and every offset and size is checked against the file length before
 * anything is allocated.
 */
public final class TableReader {
  /**
   * Blocks above this size are not read into memory: their entries are walked with small positional reads and
   * their values stream. TF's blocks are 256 KiB unless one value is large, which only V1 checkpoints do (a whole
   * tensor per value), and TF's builder gives a value of twice the block size a block of its own; so a block this
   * big holds one or a few entries, and walking them costs a few small reads, while reading it whole would cost
   * two copies of the value and, at a small heap, a humongous allocation per tensor.
   */
  static final int LARGE_BLOCK = 2 * TableFormat.DEFAULT_BLOCK_SIZE;

  private final RandomAccessInput input;
  private final long fileLength;
  private final Block index;

  private TableReader(RandomAccessInput input, long fileLength, Block index) {
    this.input = input;
    this.fileLength = fileLength;
    this.index = index;
  }

  /** Opens the table; fails with {@link CorruptInputException} when the file is not a table. */
  public static TableReader open(RandomAccessInput input) {
    long length = input.length();
    String where = input.location().toString();
    if (length < TableFormat.FOOTER_LENGTH) {
      throw new CorruptInputException(where + " is too short to be a table file (" + length + " bytes, a table has a "
          + TableFormat.FOOTER_LENGTH + "-byte footer)");
    }
    byte[] footer = input.readTail(TableFormat.FOOTER_LENGTH);
    if (!TableFormat.endsWithMagic(footer)) {
      throw new CorruptInputException(where + " is not a table file (bad magic number in its last 8 bytes)");
    }
    ByteCursor c = new ByteCursor(footer, where + " footer");
    BlockHandle.decode(c); // metaindex: TF writes it empty and never reads it
    BlockHandle indexHandle = BlockHandle.decode(c);
    TableReader partial = new TableReader(input, length, null);
    byte[] indexBytes = partial.readBlock(indexHandle, "index block");
    return new TableReader(input, length, new Block(indexBytes, where + " index block"));
  }

  public RandomAccessInput input() {
    return input;
  }

  private void checkHandle(BlockHandle handle, String kind) {
    long dataEnd = fileLength - TableFormat.FOOTER_LENGTH;
    if (handle.offset() < 0 || handle.size() < 0
        || handle.offset() > dataEnd || handle.size() > dataEnd - handle.offset() - TableFormat.BLOCK_TRAILER_LENGTH) {
      throw new CorruptInputException(input.location() + " " + kind + " at offset " + handle.offset() + ": block of "
          + handle.size() + " bytes lies outside the file (" + fileLength + " bytes); the file is truncated or corrupt");
    }
  }

  private byte[] readBlock(BlockHandle handle, String kind) {
    String what = input.location() + " " + kind + " at offset " + handle.offset();
    checkHandle(handle, kind);
    if (handle.size() > Integer.MAX_VALUE - 16) {
      throw new CorruptInputException(what + ": a block of " + handle.size() + " bytes is too large to read");
    }
    int n = (int) handle.size();
    byte[] raw = input.readFully(handle.offset(), n + TableFormat.BLOCK_TRAILER_LENGTH);
    int type = raw[n] & 0xff;
    int stored = (raw[n + 1] & 0xff) | (raw[n + 2] & 0xff) << 8 | (raw[n + 3] & 0xff) << 16 | (raw[n + 4] & 0xff) << 24;
    int actual = Crc32c.of(raw, 0, n + 1); // contents and the type byte
    if (Crc32c.unmask(stored) != actual) {
      throw new ChecksumMismatchException(what + ": checksum mismatch (stored " + String.format("%08x", Crc32c.unmask(stored))
          + ", computed " + String.format("%08x", actual) + "); the file is corrupt");
    }
    switch (type) {
      case TableFormat.NO_COMPRESSION:
        return Arrays.copyOf(raw, n);
      case TableFormat.SNAPPY_COMPRESSION:
        return SnappyBlocks.uncompress(raw, 0, n, what);
      default:
        throw new CorruptInputException(what + ": unknown block compression type " + type);
    }
  }

  /** All entries in key order. Data blocks are read one at a time as the iteration reaches them. */
  public Iterator<TableEntry> iterator() {
    return new EntryIterator(null);
  }

  /** Entries with key >= {@code from}, in key order. */
  public Iterator<TableEntry> iteratorFrom(byte[] from) {
    return new EntryIterator(from);
  }

  /**
   * The value stored under exactly this key, without reading a large value into memory: blocks over
   * {@link #LARGE_BLOCK} bytes that are stored uncompressed are searched by positional reads and their values
   * stream (see {@link StreamedBlock}).
   */
  public Optional<TableValue> find(byte[] key) {
    Block.Cursor idx = index.cursor();
    idx.seek(key);
    while (idx.hasNext()) {
      idx.next();
      if (Arrays.compareUnsigned(idx.key(), key) < 0) {
        continue;
      }
      BlockHandle handle = BlockHandle.decode(idx.valueCursor(input.location() + " index entry"));
      if (handle.size() > LARGE_BLOCK && blockType(handle) == TableFormat.NO_COMPRESSION) {
        return new StreamedBlock(input, handle).find(key);
      }
      byte[] data = readBlock(handle, "data block");
      Block.Cursor c = new Block(data, input.location() + " data block at offset " + handle.offset()).cursor();
      c.seek(key);
      while (c.hasNext()) {
        c.next();
        int cmp = Arrays.compareUnsigned(c.key(), key);
        if (cmp == 0) {
          return Optional.of(inMemory(c.value()));
        }
        if (cmp > 0) {
          break;
        }
      }
      return Optional.empty();
    }
    return Optional.empty();
  }

  private int blockType(BlockHandle handle) {
    checkHandle(handle, "data block");
    return input.readFully(handle.offset() + handle.size(), 1)[0] & 0xff;
  }

  static TableValue inMemory(byte[] bytes) {
    return new TableValue() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public byte[] bytes() {
        return bytes;
      }

      @Override
      public java.io.InputStream open() {
        return new java.io.ByteArrayInputStream(bytes);
      }
    };
  }

  /** The value stored under exactly this key. */
  public Optional<byte[]> get(byte[] key) {
    Iterator<TableEntry> it = iteratorFrom(key);
    if (it.hasNext()) {
      TableEntry e = it.next();
      if (Arrays.equals(e.key(), key)) {
        return Optional.of(e.value());
      }
    }
    return Optional.empty();
  }

  private final class EntryIterator implements Iterator<TableEntry> {
    private final Block.Cursor indexCursor = index.cursor();
    private Block.Cursor dataCursor;
    private byte[] seekTarget;
    private TableEntry nextEntry;
    private byte[] previousKey;

    EntryIterator(byte[] from) {
      this.seekTarget = from;
      if (from != null) {
        indexCursor.seek(from);
        // Index keys are >= every key of their block, so the first index entry >= target names the block.
        while (indexCursor.hasNext()) {
          indexCursor.next();
          if (Arrays.compareUnsigned(indexCursor.key(), from) >= 0) {
            openDataBlock();
            dataCursor.seek(from);
            return;
          }
        }
      }
    }

    private void openDataBlock() {
      BlockHandle handle = BlockHandle.decode(indexCursor.valueCursor(input.location() + " index entry"));
      byte[] data = readBlock(handle, "data block");
      dataCursor = new Block(data, input.location() + " data block at offset " + handle.offset()).cursor();
    }

    @Override
    public boolean hasNext() {
      while (nextEntry == null) {
        if (dataCursor != null && dataCursor.hasNext()) {
          dataCursor.next();
          byte[] key = dataCursor.key();
          if (seekTarget != null && Arrays.compareUnsigned(key, seekTarget) < 0) {
            continue;
          }
          if (previousKey != null && Arrays.compareUnsigned(key, previousKey) <= 0) {
            throw new CorruptInputException(input.location() + ": table keys are out of order; the file is corrupt");
          }
          previousKey = key;
          nextEntry = new TableEntry(key, dataCursor.value());
        } else if (indexCursor.hasNext()) {
          indexCursor.next();
          openDataBlock();
        } else {
          return false;
        }
      }
      return true;
    }

    @Override
    public TableEntry next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      TableEntry e = nextEntry;
      nextEntry = null;
      return e;
    }
  }
}
