package io.tfgw.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * How the graph's file-reading ops (ReadFile, lookup tables initialised from text files) read the path a tensor
 * names. TensorFlow reads them from its file systems; a model loaded from storage maps its assets' paths to that
 * storage instead, so a SavedModel on S3 or in an archive reads its vocabulary from there.
 */
@FunctionalInterface
public interface GraphFiles {
  /** Local files, as TensorFlow reads a plain path. */
  GraphFiles LOCAL = path -> {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (NoSuchFileException e) {
      throw new KernelException("file '" + path + "' does not exist");
    } catch (IOException | java.nio.file.InvalidPathException e) {
      throw new KernelException("cannot read file '" + path + "': " + e.getMessage());
    }
  };

  /** The whole content of the file at {@code path}; a {@link KernelException} saying why when it cannot be read. */
  byte[] read(String path);
}
