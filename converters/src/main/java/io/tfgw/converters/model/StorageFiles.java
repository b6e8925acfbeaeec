package io.tfgw.converters.model;

import io.tfgw.core.TfgwException;
import io.tfgw.runtime.GraphFiles;
import io.tfgw.runtime.KernelException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;

/**
 * The files a model's graph reads (its assets, a vocabulary named by a TF1 graph), read through tfgw's storage, so
 * that a SavedModel on S3 or inside an archive finds its assets there. A path that is not there but was written on
 * another machine (a TF1 {@code .meta} keeps the absolute path its author's table initialiser read) is looked for
 * by its file name in {@code besides}, as tfgw maps checkpoint state files' absolute paths.
 */
final class StorageFiles implements GraphFiles {
  private final Storage storage;
  private final Location besides;

  /**
   * @param besides the directory to look in for a missing file by its name, or null
   */
  StorageFiles(Storage storage, Location besides) {
    this.storage = storage;
    this.besides = besides;
  }

  @Override
  public byte[] read(String path) {
    Location location;
    try {
      location = Location.parse(path);
    } catch (TfgwException e) {
      throw new KernelException("cannot read file '" + path + "': " + e.getMessage());
    }
    try {
      if (besides != null && !storage.exists(location)) {
        Location moved = besides.resolve(location.fileName());
        if (storage.exists(moved)) {
          return storage.inputFile(moved).readAllBytes();
        }
        throw new KernelException("file '" + path + "' does not exist" + (moved.equals(location) ? ""
            : ", nor does " + moved + " (its name next to the model)") + ": copy the file the graph reads to "
            + moved);
      }
      return storage.inputFile(location).readAllBytes();
    } catch (KernelException e) {
      throw e;
    } catch (TfgwException e) {
      throw new KernelException("cannot read file '" + path + "': " + e.getMessage());
    }
  }
}
