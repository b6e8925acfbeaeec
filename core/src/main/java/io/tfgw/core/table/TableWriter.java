package io.tfgw.core.table;

import io.tfgw.core.io.ByteBufferSink;
import io.tfgw.core.io.Crc32c;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Writes a table file byte-identical to TF's {@code TableBuilder} with {@code kNoCompression} (the setting of both
 * checkpoint writers): 256 KiB data blocks with restart interval 16, an empty metaindex block, an index block with
 * restart interval 1 whose keys are the shortest separators between blocks, and the 48-byte footer.
 */
public final class TableWriter {
  private final OutputStream out;
  private final int blockSize;
  private final BlockBuilder dataBlock = new BlockBuilder(TableFormat.DEFAULT_RESTART_INTERVAL);
  private final BlockBuilder indexBlock = new BlockBuilder(1);
  private long offset;
  private byte[] lastKey;
  private BlockHandle pendingHandle;
  private boolean finished;

  public TableWriter(OutputStream out) {
    this(out, TableFormat.DEFAULT_BLOCK_SIZE);
  }

  public TableWriter(OutputStream out, int blockSize) {
    this.out = out;
    this.blockSize = blockSize;
  }

  /** Adds an entry; keys must be strictly increasing in unsigned bytewise order. */
  public void add(byte[] key, byte[] value) {
    if (finished) {
      throw new IllegalStateException("table already finished");
    }
    if (lastKey != null && Arrays.compareUnsigned(key, lastKey) <= 0) {
      throw new IllegalArgumentException("table keys must be strictly increasing");
    }
    flushBeforeOverlyLargeEntry(key.length + (long) value.length);
    if (pendingHandle != null) {
      indexBlock.add(shortestSeparator(lastKey, key), pendingHandle.encode());
      pendingHandle = null;
    }
    lastKey = key;
    dataBlock.add(key, value);
    if (dataBlock.currentSizeEstimate() >= blockSize) {
      flush();
    }
  }

  /** Writes a value's bytes; it must write exactly the announced length. */
  @FunctionalInterface
  public interface ValueWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Adds an entry whose value is streamed rather than held: the block is written up to the entry's header, then the
   * value goes straight to the output through the block's crc, then the restart array and trailer. Values at least
   * one block size long end their block in TF's builder too, so the file is the same as with {@link #add}.
   */
  public void addStreaming(byte[] key, long valueLength, ValueWriter value) {
    if (valueLength < blockSize) {
      java.io.ByteArrayOutputStream small = new java.io.ByteArrayOutputStream((int) valueLength);
      try {
        value.writeTo(small);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (small.size() != valueLength) {
        throw new IllegalStateException("value of " + small.size() + " bytes, announced " + valueLength);
      }
      add(key, small.toByteArray());
      return;
    }
    if (finished) {
      throw new IllegalStateException("table already finished");
    }
    if (lastKey != null && Arrays.compareUnsigned(key, lastKey) <= 0) {
      throw new IllegalArgumentException("table keys must be strictly increasing");
    }
    flushBeforeOverlyLargeEntry(key.length + valueLength);
    if (pendingHandle != null) {
      indexBlock.add(shortestSeparator(lastKey, key), pendingHandle.encode());
      pendingHandle = null;
    }
    lastKey = key;
    dataBlock.addHeader(key, valueLength);
    byte[] head = dataBlock.entries();
    byte[] tail = dataBlock.restartTail();
    dataBlock.reset();
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    long start = offset;
    crc.update(head);
    write(head);
    long[] written = {0};
    final class Through extends OutputStream implements ByteBufferSink {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        crc.update(b, off, len);
        out.write(b, off, len);
        written[0] += len;
      }

      /** A direct buffer is checksummed in place and passed on as it is when the output takes buffers. */
      @Override
      public void write(ByteBuffer src) throws IOException {
        int len = src.remaining();
        if (!(out instanceof ByteBufferSink sink)) {
          byte[] copy = new byte[len];
          src.get(copy);
          write(copy, 0, len);
          return;
        }
        int start = src.position();
        crc.update(src);
        src.position(start);
        sink.write(src);
        written[0] += len;
      }
    }
    OutputStream through = new Through();
    try {
      value.writeTo(through);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (written[0] != valueLength) {
      throw new IllegalStateException("value of " + written[0] + " bytes, announced " + valueLength);
    }
    offset += valueLength;
    crc.update(tail);
    write(tail);
    byte[] trailer = new byte[TableFormat.BLOCK_TRAILER_LENGTH];
    crc.update(trailer, 0, 1);
    putFixed32(trailer, 1, Crc32c.mask((int) crc.getValue()));
    write(trailer);
    pendingHandle = new BlockHandle(start, head.length + valueLength + tail.length);
  }

  /**
   * TF's {@code table_builder.cc} (unlike LevelDB's) ends the current block before an entry of at least twice the
   * block size ({@code kOverlyLargeBlockRatio}), so that a huge value gets a block of its own.
   */
  private void flushBeforeOverlyLargeEntry(long entryBytes) {
    if (lastKey != null && entryBytes >= 2L * blockSize) {
      flush();
    }
  }

  private void flush() {
    if (dataBlock.isEmpty()) {
      return;
    }
    pendingHandle = writeBlock(dataBlock);
  }

  private BlockHandle writeBlock(BlockBuilder block) {
    byte[] contents = block.finish();
    block.reset();
    BlockHandle handle = new BlockHandle(offset, contents.length);
    byte[] trailer = new byte[TableFormat.BLOCK_TRAILER_LENGTH];
    trailer[0] = TableFormat.NO_COMPRESSION;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(contents);
    crc.update(trailer, 0, 1);
    putFixed32(trailer, 1, Crc32c.mask((int) crc.getValue()));
    write(contents);
    write(trailer);
    return handle;
  }

  /** Writes the metaindex, index and footer. Does not close the stream. */
  public void finish() {
    flush();
    finished = true;
    BlockHandle metaindex = writeBlock(new BlockBuilder(TableFormat.DEFAULT_RESTART_INTERVAL));
    if (pendingHandle != null) {
      indexBlock.add(shortSuccessor(lastKey), pendingHandle.encode());
      pendingHandle = null;
    }
    BlockHandle indexHandle = writeBlock(indexBlock);
    ByteArrayOutputStream footer = new ByteArrayOutputStream(TableFormat.FOOTER_LENGTH);
    metaindex.encodeTo(footer);
    indexHandle.encodeTo(footer);
    byte[] bytes = Arrays.copyOf(footer.toByteArray(), TableFormat.FOOTER_LENGTH);
    putFixed32(bytes, 40, (int) TableFormat.MAGIC);
    putFixed32(bytes, 44, (int) (TableFormat.MAGIC >>> 32));
    write(bytes);
  }

  /** Bytes written so far. */
  public long offset() {
    return offset;
  }

  private void write(byte[] bytes) {
    try {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    offset += bytes.length;
  }

  private static void putFixed32(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  /** BytewiseComparator::FindShortestSeparator: a short key k with start <= k < limit. */
  static byte[] shortestSeparator(byte[] start, byte[] limit) {
    int min = Math.min(start.length, limit.length);
    int diff = 0;
    while (diff < min && start[diff] == limit[diff]) {
      diff++;
    }
    if (diff < min) {
      int b = start[diff] & 0xff;
      if (b < 0xff && b + 1 < (limit[diff] & 0xff)) {
        byte[] out = Arrays.copyOf(start, diff + 1);
        out[diff]++;
        return out;
      }
    }
    return start;
  }

  /** BytewiseComparator::FindShortSuccessor: a short key >= key. */
  static byte[] shortSuccessor(byte[] key) {
    for (int i = 0; i < key.length; i++) {
      if ((key[i] & 0xff) != 0xff) {
        byte[] out = Arrays.copyOf(key, i + 1);
        out[i]++;
        return out;
      }
    }
    return key;
  }
}
