package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import org.apache.hadoop.fs.FSDataInputStream;

/** Positional reads of one HDFS file (thread-safe: HDFS positional reads do not move a shared cursor). */
final class HdfsInput implements RandomAccessInput {
  private final Location location;
  private final FSDataInputStream in;
  private final long length;

  HdfsInput(Location location, FSDataInputStream in, long length) {
    this.location = location;
    this.in = in;
    this.length = length;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int len) {
    if (position < 0 || len < 0 || position + len > length) {
      throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
          + location + " (" + length + " bytes); the file is truncated or corrupt");
    }
    if (len == 0) {
      return;
    }
    try {
      in.readFully(position, buffer, offset, len);
    } catch (java.io.EOFException e) {
      throw new StorageException(location + " ended before offset " + (position + len) + " while reading: it was "
          + "truncated or replaced while tfgw read it; read it again", e);
    } catch (IOException e) {
      throw HdfsStorage.error("read", location, e);
    }
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // a read-only stream: nothing is lost
    }
  }
}
