package io.tfgw.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A channel reading an InputStream through a reused array of at most 64 KiB ({@code Channels.newChannel} reads a
 * direct buffer 8 KiB at a time). The fallback for inputs with nothing faster than their stream.
 */
public final class StreamChannel implements ReadableByteChannel {
  private static final int CHUNK = 1 << 16;

  private final InputStream in;
  private byte[] chunk = new byte[0];
  private boolean open = true;

  public StreamChannel(InputStream in) {
    this.in = in;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int want = Math.min(dst.remaining(), CHUNK);
    if (want == 0) {
      return 0;
    }
    if (dst.hasArray()) {
      int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), want);
      if (n > 0) {
        dst.position(dst.position() + n);
      }
      return n;
    }
    if (chunk.length < want) {
      chunk = new byte[want];
    }
    int n = in.read(chunk, 0, want);
    if (n > 0) {
      dst.put(chunk, 0, n);
    }
    return n;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    open = false;
    in.close();
  }
}
