package io.tfgw.core.storage;

import java.io.InputStream;

/** A file to read. Creating one does no I/O; {@link #length()} and {@link #open()} do. */
public interface InputFile {
  Location location();

  /** Length in bytes; {@link LocationNotFoundException} when there is no such file. */
  long length();

  boolean exists();

  /** Opens the file for positional reads; {@link LocationNotFoundException} when there is no such file. */
  RandomAccessInput open();

  /** Reads the whole file; meant for small files (metadata, state files). */
  default byte[] readAllBytes() {
    try (RandomAccessInput in = open()) {
      long length = in.length();
      if (length > Integer.MAX_VALUE - 8) {
        throw new StorageException(location() + " is too large (" + length + " bytes) to read into memory");
      }
      return in.readFully(0, (int) length);
    }
  }

  /** A sequential stream over the whole file. Closing it closes the underlying input. */
  default InputStream newStream() {
    RandomAccessInput input = open();
    InputStream range = input.stream(0, input.length());
    return new java.io.FilterInputStream(range) {
      @Override
      public void close() throws java.io.IOException {
        try {
          super.close();
        } finally {
          input.close(); // not "in": that is FilterInputStream's field
        }
      }
    };
  }
}
