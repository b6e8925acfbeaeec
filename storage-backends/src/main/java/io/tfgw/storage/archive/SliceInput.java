package io.tfgw.storage.archive;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.InputStream;

/**
 * One archive entry as a window {@code [offset, offset + length)} of the bytes holding it (the archive itself for
 * stored entries, a spooled temp file otherwise). Positional reads pass straight through, so reading a stored
 * entry of an archive on S3 is a ranged GET of just those bytes.
 */
final class SliceInput implements RandomAccessInput {
  private final Location location;
  private final RandomAccessInput source;
  private final long offset;
  private final long length;
  private final boolean closeSource;

  SliceInput(Location location, RandomAccessInput source, long offset, long length, boolean closeSource) {
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
    if (position < 0 || len < 0 || position + len > length) {
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
  public void close() {
    if (closeSource) {
      source.close();
    }
  }
}
