package io.tfgw.converters.v2;

import io.tfgw.core.CorruptInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Varint and fixed32 reads from a stream, failing as corruption at a premature end. */
final class StreamVarints {
  private StreamVarints() {}

  static long readVarint64(InputStream in, String what) {
    long result = 0;
    try {
      for (int shift = 0; shift < 64; shift += 7) {
        int b = in.read();
        if (b < 0) {
          throw new CorruptInputException(what + ": data ends inside a varint");
        }
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new CorruptInputException(what + ": varint longer than 10 bytes");
  }

  static int readFixed32(InputStream in, String what) {
    int v = 0;
    try {
      for (int i = 0; i < 4; i++) {
        int b = in.read();
        if (b < 0) {
          throw new CorruptInputException(what + ": data ends inside a checksum");
        }
        v |= b << (8 * i);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return v;
  }
}
