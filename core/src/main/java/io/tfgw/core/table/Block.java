package io.tfgw.core.table;

import io.tfgw.core.io.ByteCursor;
import java.util.Arrays;
import java.util.NoSuchElementException;

/**
 * A decoded (decompressed, crc-checked) block: prefix-compressed entries, then {@code uint32 restarts[]} and
 * {@code uint32 num_restarts}. Entries are {@code varint32 shared, varint32 non_shared, varint32 value_length,
 * key_delta, value} ({@code block_builder.cc}).
 */
final class Block {
  private final byte[] data;
  private final int restartsOffset;
  private final int numRestarts;
  private final String what;

  Block(byte[] data, String what) {
    this.data = data;
    this.what = what;
    ByteCursor c = new ByteCursor(data, what);
    if (data.length < 4) {
      throw c.corrupt("block of " + data.length + " bytes is too short to hold its restart count");
    }
    c.position(data.length - 4);
    long n = c.readFixed32() & 0xffffffffL;
    long maxRestarts = (data.length - 4) / 4;
    if (n > maxRestarts) {
      throw c.corrupt("block claims " + n + " restart points but has room for " + maxRestarts);
    }
    this.numRestarts = (int) n;
    this.restartsOffset = data.length - 4 - 4 * numRestarts;
  }

  Cursor cursor() {
    return new Cursor();
  }

  /** Iterates entries, rebuilding each full key from the previous one. */
  final class Cursor {
    private final ByteCursor in = new ByteCursor(data, 0, restartsOffset, what);
    private byte[] key = new byte[0];
    private int valueOffset;
    private int valueLength;

    boolean hasNext() {
      return in.hasRemaining();
    }

    void next() {
      if (!in.hasRemaining()) {
        throw new NoSuchElementException();
      }
      int entryStart = in.position();
      int shared = in.readVarint32("shared key length");
      int nonShared = in.readVarint32("key length");
      int valueLen = in.readVarint32("value length");
      if (shared > key.length) {
        throw in.corrupt("entry at byte " + entryStart + " shares " + shared + " bytes with a " + key.length
            + "-byte previous key");
      }
      byte[] delta = in.readBytes(nonShared, "key");
      byte[] full = Arrays.copyOf(key, shared + nonShared);
      System.arraycopy(delta, 0, full, shared, nonShared);
      key = full;
      valueOffset = in.position();
      in.skip(valueLen, "value");
      valueLength = valueLen;
    }

    /** Positions before the first entry whose key is >= target (restart-point binary search, then a scan). */
    void seek(byte[] target) {
      int lo = 0;
      int hi = numRestarts - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (Arrays.compareUnsigned(keyAtRestart(mid), target) < 0) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      int start = numRestarts == 0 ? restartsOffset : restartPoint(lo);
      in.position(start);
      key = new byte[0];
    }

    private int restartPoint(int index) {
      ByteCursor c = new ByteCursor(data, what);
      c.position(restartsOffset + 4 * index);
      long offset = c.readFixed32() & 0xffffffffL;
      if (offset > restartsOffset) {
        throw c.corrupt("restart point " + index + " points to byte " + offset + ", past the entries");
      }
      return (int) offset;
    }

    private byte[] keyAtRestart(int index) {
      ByteCursor c = new ByteCursor(data, 0, restartsOffset, what);
      c.position(restartPoint(index));
      int shared = c.readVarint32("shared key length");
      int nonShared = c.readVarint32("key length");
      c.readVarint32("value length");
      if (shared != 0) {
        throw c.corrupt("entry at restart point " + index + " shares " + shared + " key bytes; it must share none");
      }
      return c.readBytes(nonShared, "key");
    }

    byte[] key() {
      return key;
    }

    byte[] value() {
      return Arrays.copyOfRange(data, valueOffset, valueOffset + valueLength);
    }

    ByteCursor valueCursor(String valueWhat) {
      return new ByteCursor(data, valueOffset, valueOffset + valueLength, valueWhat);
    }
  }
}
