package io.tfgw.core.table;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.io.ByteCursor;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.storage.RandomAccessInput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A large uncompressed block used without reading it into memory. Entries are found by walking their headers with
 * small positional reads. A value's stream reads the <em>whole</em> block once, through a crc32c, handing out only
 * the value's bytes; so every byte a caller receives has been checksummed by the time its stream ends.
 */
final class StreamedBlock {
  /**
   * Values up to this size are read eagerly; their block's crc is checked by a separate streaming pass. Larger ones
   * stream, so converting a checkpoint never allocates a tensor-sized array.
   */
  private static final int SMALL_VALUE = 1 << 16;

  private final RandomAccessInput input;
  private final BlockHandle handle;
  private final String what;
  private final long restartsOffset;

  StreamedBlock(RandomAccessInput input, BlockHandle handle) {
    this.input = input;
    this.handle = handle;
    this.what = input.location() + " data block at offset " + handle.offset();
    byte[] count = input.readFully(handle.offset() + handle.size() - 4, 4);
    long numRestarts = new ByteCursor(count, what).readFixed32() & 0xffffffffL;
    if (numRestarts > (handle.size() - 4) / 4) {
      throw new CorruptInputException(what + ": block claims " + numRestarts + " restart points");
    }
    this.restartsOffset = handle.size() - 4 - 4 * numRestarts;
  }

  Optional<TableValue> find(byte[] target) {
    long pos = 0;
    byte[] key = new byte[0];
    while (pos < restartsOffset) {
      int headerLen = (int) Math.min(15, restartsOffset - pos);
      ByteCursor c = new ByteCursor(input.readFully(handle.offset() + pos, headerLen), what);
      int shared = c.readVarint32("shared key length");
      int nonShared = c.readVarint32("key length");
      long valueLen = c.readVarint64();
      long keyStart = pos + c.position();
      if (shared > key.length || keyStart + nonShared > restartsOffset || valueLen < 0
          || valueLen > restartsOffset - keyStart - nonShared) {
        throw new CorruptInputException(what + ": entry at block offset " + pos + " does not fit the block");
      }
      byte[] delta = input.readFully(handle.offset() + keyStart, nonShared);
      byte[] full = Arrays.copyOf(key, shared + nonShared);
      System.arraycopy(delta, 0, full, shared, nonShared);
      key = full;
      long valueStart = keyStart + nonShared;
      int cmp = Arrays.compareUnsigned(key, target);
      if (cmp == 0) {
        return Optional.of(valueLen <= SMALL_VALUE ? verifiedSmall(valueStart, (int) valueLen) : new Streamed(valueStart, valueLen));
      }
      if (cmp > 0) {
        return Optional.empty();
      }
      pos = valueStart + valueLen;
    }
    return Optional.empty();
  }

  private TableValue verifiedSmall(long valueStart, int valueLen) {
    try (InputStream in = new Streamed(valueStart, valueLen).open()) {
      return TableReader.inMemory(in.readAllBytes());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private final class Streamed implements TableValue {
    private final long valueStart;
    private final long valueLen;

    Streamed(long valueStart, long valueLen) {
      this.valueStart = valueStart;
      this.valueLen = valueLen;
    }

    @Override
    public long length() {
      return valueLen;
    }

    @Override
    public byte[] bytes() {
      if (valueLen > Integer.MAX_VALUE - 16) {
        throw new CorruptInputException(what + ": a value of " + valueLen + " bytes cannot be held in memory");
      }
      try (InputStream in = open()) {
        return in.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public InputStream open() {
      byte[] trailer = input.readFully(handle.offset() + handle.size(), TableFormat.BLOCK_TRAILER_LENGTH);
      int stored = (trailer[1] & 0xff) | (trailer[2] & 0xff) << 8 | (trailer[3] & 0xff) << 16 | (trailer[4] & 0xff) << 24;
      return new BlockValueStream(input.channel(handle.offset(), handle.size()), trailer[0], Crc32c.unmask(stored),
          valueStart, valueLen, handle.size());
    }
  }

  /**
   * Streams the block through a crc, exposing only [valueStart, valueStart + valueLen). Every block byte is
   * checksummed once, when it is read from the file: into a small buffer for the value's headers and the block's
   * other entries, or, as a channel, straight into the caller's buffer (a direct buffer is checksummed in place).
   */
  private final class BlockValueStream extends InputStream implements ReadableByteChannel {
    private final ReadableByteChannel block;
    private final CRC32C crc = new CRC32C();
    private final byte type;
    private final int expected;
    private final long valueStart;
    private final long valueEnd;
    private final long blockSize;
    /** Block bytes read from the file but not yet handed out or skipped, between position and limit. */
    private final ByteBuffer buffered = ByteBuffer.allocate(1 << 16).flip();
    /** Block bytes handed out or skipped. */
    private long pos;
    private boolean verified;

    BlockValueStream(ReadableByteChannel block, byte type, int expected, long valueStart, long valueLen, long blockSize) {
      this.block = block;
      this.type = type;
      this.expected = expected;
      this.valueStart = valueStart;
      this.valueEnd = valueStart + valueLen;
      this.blockSize = blockSize;
    }

    /** Reads block bytes from the file into {@code dst} (at most {@code max}) through the crc. */
    private int readBlock(ByteBuffer dst, long max) throws IOException {
      int start = dst.position();
      int limit = dst.limit();
      dst.limit(start + (int) Math.min(dst.remaining(), max));
      int n;
      try {
        n = block.read(dst);
      } finally {
        dst.limit(limit);
      }
      if (n < 0) {
        throw new CorruptInputException(what + ": block ends early");
      }
      ByteBuffer got = dst.duplicate();
      got.position(start).limit(start + n);
      crc.update(got);
      return n;
    }

    /** Makes sure some bytes are buffered; the block must have some left. */
    private void fill() throws IOException {
      if (buffered.hasRemaining()) {
        return;
      }
      buffered.clear();
      readBlock(buffered, blockSize - pos);
      buffered.flip();
    }

    private void consume(long n) throws IOException {
      while (n > 0) {
        fill();
        int k = (int) Math.min(n, buffered.remaining());
        buffered.position(buffered.position() + k);
        pos += k;
        n -= k;
      }
    }

    private void finish() throws IOException {
      if (verified) {
        return;
      }
      consume(blockSize - pos);
      crc.update(type);
      verified = true;
      if ((int) crc.getValue() != expected) {
        throw new ChecksumMismatchException(what + ": checksum mismatch (stored " + String.format("%08x", expected)
            + ", computed " + String.format("%08x", (int) crc.getValue()) + "); the file is corrupt");
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return len == 0 ? 0 : read(ByteBuffer.wrap(b, off, len));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!dst.hasRemaining()) {
        return 0;
      }
      if (pos < valueStart) {
        consume(valueStart - pos);
      }
      if (pos >= valueEnd) {
        finish();
        return -1;
      }
      long left = valueEnd - pos;
      int n;
      if (buffered.hasRemaining() || dst.remaining() < buffered.capacity() && !dst.isDirect()) {
        fill();
        n = (int) Math.min(Math.min(dst.remaining(), buffered.remaining()), left);
        int limit = buffered.limit();
        buffered.limit(buffered.position() + n);
        dst.put(buffered);
        buffered.limit(limit);
      } else {
        n = readBlock(dst, left); // straight into the caller's buffer
      }
      pos += n;
      if (pos == valueEnd) {
        finish();
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return block.isOpen();
    }

    @Override
    public void close() throws IOException {
      block.close();
    }
  }
}
