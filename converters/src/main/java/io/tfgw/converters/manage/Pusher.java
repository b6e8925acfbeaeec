package io.tfgw.converters.manage;

import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Lays a SavedModel out as TensorFlow Serving expects it under a model base path:
 * {@code BASE/<version>/saved_model.pb} plus {@code variables/} and {@code assets/}, the version being a number
 * (the next after the highest one there, or 1) unless given.
 *
 * <p>TF Serving watches the base path and loads a new version directory as soon as it sees one, and object stores
 * have no rename to publish a directory at once. So the variables and assets are copied (and verified) first and
 * {@code saved_model.pb} last: until it arrives, the version holds no loadable model, and if the push fails before
 * it, no half-copied model is ever served.
 */
public final class Pusher {
  private final Storage storage;
  private final Copier copier;

  public Pusher(Storage storage, Copier copier) {
    this.storage = storage;
    this.copier = copier;
  }

  /** The numeric version directories below {@code base}, ascending. */
  public TreeSet<Long> versions(Location base) {
    TreeSet<Long> versions = new TreeSet<>();
    for (FileEntry f : storage.list(base)) {
      String rel = base.relativize(f.location());
      int slash = rel.indexOf('/');
      if (slash > 0 && rel.substring(0, slash).matches("\\d{1,18}")) {
        versions.add(Long.parseLong(rel.substring(0, slash)));
      }
    }
    return versions;
  }

  public PushResult push(Location model, Location base, OptionalLong version, CopyListener listener) {
    Resolved resolved = new Resolver(storage).resolve(model);
    if (!resolved.format().equals("savedmodel")) {
      String what = resolved.format().matches("v\\d") ? resolved.format().toUpperCase(java.util.Locale.ROOT)
          + " checkpoint" : resolved.format() + " model";
      throw new WrongInputException(model + " is a " + what + ", not a SavedModel; TF Serving loads SavedModels "
          + "only. Convert it first: tfgw convert " + model + " DIR --to savedmodel");
    }
    Location source = resolved.target();
    TreeSet<Long> existing = versions(base);
    long v;
    if (version.isPresent()) {
      v = version.getAsLong();
      if (v < 0) {
        throw new WrongInputException("A TF Serving version must be a non-negative number, not " + v);
      }
      if (existing.contains(v) || storage.isDirectory(base.resolve(Long.toString(v)))) {
        throw new WrongInputException(base + " already has version " + v + "; TF Serving would not reload it. Push "
            + "without --version to get " + (existing.isEmpty() ? 1 : existing.last() + 1) + ", or delete the old one first");
      }
    } else {
      v = existing.isEmpty() ? 1 : existing.last() + 1;
    }
    Location target = base.resolve(Long.toString(v));
    List<Transfer> plan = copier.plan(source, target, true, true);
    return new PushResult(target, v, copier.copy(plan, listener)); // saved_model.pb lands last
  }
}
