package io.tfgw.core.storage;

import java.io.InputStream;

/**
 * A window {@code [offset, offset + length)} of another input, under a location of its own: an archive entry or a
 * stored zip entry read in place, so positional reads pass straight through (an HDF5 file inside a {@code .keras}
 * on S3 is read by ranged GETs of just the bytes jhdf asks for). Reads outside the window fail naming it.
 */
public final class RandomAccessSlice implements RandomAccessInput {
  private final Location location;
  private final RandomAccessInput source;
  private final long offset;
  private final long length;
  private final boolean closeSource;

  /** @param closeSource whether closing the slice closes {@code source} */
  public RandomAccessSlice(Location location, RandomAccessInput source, long offset, long length, boolean closeSource) {
    this.location = location;
    this.source = source;
    this.offset = offset;
    this.length = length;
    this.closeSource = closeSource;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long length() {
    return length;
  }

  private void check(long position, long len) {
    if (position < 0 || len < 0 || position > length - len) {
      throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
          + location + " (" + length + " bytes); the file is truncated or corrupt");
    }
  }

  @Override
  public void readFully(long position, byte[] buffer, int off, int len) {
    check(position, len);
    source.readFully(offset + position, buffer, off, len);
  }

  @Override
  public InputStream stream(long position, long len) {
    check(position, len);
    return source.stream(offset + position, len);
  }

  @Override
  public java.nio.channels.ReadableByteChannel channel(long position, long len) {
    check(position, len);
    return source.channel(offset + position, len);
  }

  @Override
  public void close() {
    if (closeSource) {
      source.close();
    }
  }
}
