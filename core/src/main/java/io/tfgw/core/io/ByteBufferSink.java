package io.tfgw.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An OutputStream that also takes buffers. Copies of tensor bytes hand over their (direct) buffer instead of an
 * array, so a local file gets them with no copy in between the read and the write(2).
 */
public interface ByteBufferSink {
  /** Writes all of {@code src}'s remaining bytes; its position ends at its limit. */
  void write(ByteBuffer src) throws IOException;
}
