package io.tfgw.core.testing;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;

/** A {@link RandomAccessInput} over a byte array, for format tests that need no storage. */
public final class ByteArrayInput implements RandomAccessInput {
  private final Location location;
  private final byte[] data;

  public ByteArrayInput(String name, byte[] data) {
    this.location = Location.parse("memory://test/" + name);
    this.data = data;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long length() {
    return data.length;
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int length) {
    if (position < 0 || length < 0 || position + length > data.length) {
      throw new StorageException("Read of " + length + " bytes at offset " + position + " is past the end of " + location);
    }
    System.arraycopy(data, (int) position, buffer, offset, length);
  }

  @Override
  public void close() {}
}
