package io.tfgw.core.table;

import io.tfgw.core.io.Varint;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/** Builds one block byte-for-byte as TF's {@code table/block_builder.cc} does. */
final class BlockBuilder {
  private final int restartInterval;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private int[] restarts = new int[] {0};
  private int numRestarts = 1;
  private int counter;
  private byte[] lastKey = new byte[0];
  private boolean empty = true;

  BlockBuilder(int restartInterval) {
    this.restartInterval = restartInterval;
  }

  void add(byte[] key, byte[] value) {
    addHeader(key, value.length);
    buffer.write(value, 0, value.length);
  }

  /** Adds an entry's header and key; the caller supplies the {@code valueLength} value bytes right after. */
  void addHeader(byte[] key, long valueLength) {
    int shared = 0;
    if (counter < restartInterval) {
      int min = Math.min(lastKey.length, key.length);
      while (shared < min && lastKey[shared] == key[shared]) {
        shared++;
      }
    } else {
      if (numRestarts == restarts.length) {
        restarts = Arrays.copyOf(restarts, restarts.length * 2);
      }
      restarts[numRestarts++] = buffer.size();
      counter = 0;
    }
    int nonShared = key.length - shared;
    Varint.write(buffer, shared);
    Varint.write(buffer, nonShared);
    Varint.write(buffer, valueLength);
    buffer.write(key, shared, nonShared);
    lastKey = key;
    counter++;
    empty = false;
  }

  /** Size of the block if finished now: entries, restart array and count. */
  long currentSizeEstimate() {
    return buffer.size() + 4L * numRestarts + 4;
  }

  boolean isEmpty() {
    return empty;
  }

  byte[] finish() {
    for (int i = 0; i < numRestarts; i++) {
      writeFixed32(restarts[i]);
    }
    writeFixed32(numRestarts);
    return buffer.toByteArray();
  }

  /** The bytes buffered so far (entries, without the restart array). */
  byte[] entries() {
    return buffer.toByteArray();
  }

  /** The restart array and count that end the block. */
  byte[] restartTail() {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * numRestarts + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < numRestarts; i++) {
      b.putInt(restarts[i]);
    }
    b.putInt(numRestarts);
    return b.array();
  }

  void reset() {
    buffer.reset();
    restarts = new int[] {0};
    numRestarts = 1;
    counter = 0;
    lastKey = new byte[0];
    empty = true;
  }

  private void writeFixed32(int v) {
    buffer.write(v);
    buffer.write(v >>> 8);
    buffer.write(v >>> 16);
    buffer.write(v >>> 24);
  }
}
