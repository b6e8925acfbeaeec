package io.tfgw.converters.verify;

import io.tfgw.converters.keras.KerasModel;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;

/** Any model location as a runnable {@link Model}: what `run` reads, plus Keras {@code .keras}/{@code .h5} via the built graph. */
public final class VerifiableModels {
  private VerifiableModels() {}

  /**
   * @param kerasConfig the architecture JSON of a weights-only {@code .h5}, or null
   */
  public static Model load(Storage storage, Location location, Location kerasConfig) {
    Resolved resolved = new Resolver(storage).resolve(location);
    if (resolved.format().equals("hdf5") || resolved.format().equals("keras")) {
      KerasModel keras = KerasModel.open(storage, resolved.target(), kerasConfig);
      // the runtime's restore kernels read the session's checkpoint, so the prefix fed to the saver is nominal
      return Models.fromMetaGraph(resolved.format(), resolved.target(), keras.metaGraph(), keras.built().variables(),
          "keras");
    }
    return Models.load(storage, resolved, null);
  }
}
