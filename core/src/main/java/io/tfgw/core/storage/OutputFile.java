package io.tfgw.core.storage;

/** A file to write. Creating one does no I/O. */
public interface OutputFile {
  Location location();

  /** Starts writing; the file appears (replacing an older one) when the returned output is committed. */
  AtomicOutputStream create();

  /** Writes small content in one go, atomically. */
  default void write(byte[] content) {
    try (AtomicOutputStream out = create()) {
      out.write(content);
      out.commit();
    } catch (java.io.IOException e) {
      throw new StorageException("Cannot write " + location() + ": " + e.getMessage(), e);
    }
  }
}
