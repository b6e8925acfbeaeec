package io.tfgw.converters.hdf5;

import io.tfgw.core.storage.RandomAccessInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} over a {@link RandomAccessInput}, so jhdf reads HDF5 files from any storage
 * (S3, archives, memory) with positional reads, without copying them to a local file first.
 */
final class InputChannel implements SeekableByteChannel {
  private final RandomAccessInput input;
  private final long length;
  private long position;
  private boolean open = true;

  InputChannel(RandomAccessInput input) {
    this.input = input;
    this.length = input.length();
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws IOException {
    ensureOpen();
    if (position >= length) {
      return dst.hasRemaining() ? -1 : 0;
    }
    int n = (int) Math.min(dst.remaining(), length - position);
    if (n == 0) {
      return 0;
    }
    if (dst.hasArray()) {
      input.readFully(position, dst.array(), dst.arrayOffset() + dst.position(), n);
      dst.position(dst.position() + n);
    } else {
      byte[] tmp = new byte[n];
      input.readFully(position, tmp, 0, n);
      dst.put(tmp);
    }
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public synchronized long position() throws IOException {
    ensureOpen();
    return position;
  }

  @Override
  public synchronized SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return length;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    if (open) {
      open = false;
      input.close();
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
