package io.tfgw.storage.archive;

import io.tfgw.core.storage.RandomAccessInput;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} over a {@link RandomAccessInput}, for commons-compress's random-access
 * readers ({@code ZipFile}, {@code TarFile}). Small reads (headers) are served from a read-ahead block, so
 * indexing an archive on an object store costs a few ranged GETs, not one per 512-byte header.
 */
final class ChannelOverInput implements SeekableByteChannel {
  private static final int BLOCK = 256 << 10;

  private final RandomAccessInput input;
  private long position;
  private byte[] block = new byte[0];
  private long blockStart = -1;
  private boolean open = true;

  ChannelOverInput(RandomAccessInput input) {
    this.input = input;
  }

  @Override
  public int read(ByteBuffer dst) {
    long length = input.length();
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), length - position);
    if (n == 0) {
      return 0;
    }
    if (n >= BLOCK) {
      byte[] direct = input.readFully(position, n);
      dst.put(direct);
    } else {
      if (blockStart < 0 || position < blockStart || position + n > blockStart + block.length) {
        int size = (int) Math.min(BLOCK, length - position);
        block = input.readFully(position, size);
        blockStart = position;
      }
      dst.put(block, (int) (position - blockStart), n);
    }
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return input.length();
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
    open = false; // the input belongs to whoever opened it
  }
}
