package io.tfgw.converters.zip;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An inflated entry spooled to a temp file, read by position and deleted on close. */
final class TempFileInput implements RandomAccessInput {
  private final Location location;
  private final Path file;
  private final FileChannel channel;
  private final long length;

  TempFileInput(Location location, Path file) throws IOException {
    this.location = location;
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE);
    this.length = channel.size();
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
    if (position < 0 || len < 0 || position > length - len) {
      throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
          + location + " (" + length + " bytes); the file is truncated or corrupt");
    }
    ByteBuffer b = ByteBuffer.wrap(buffer, offset, len);
    try {
      while (b.hasRemaining()) {
        int n = channel.read(b, position + b.position() - offset);
        if (n < 0) {
          throw new StorageException("Unexpected end of the inflated copy of " + location);
        }
      }
    } catch (IOException e) {
      throw new StorageException("Cannot read the inflated copy of " + location + " (" + file + "): " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // DELETE_ON_CLOSE removes the file; nothing else to release
    }
    Inflation.deleteQuietly(file);
  }
}
