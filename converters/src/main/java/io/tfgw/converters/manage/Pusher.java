package io.tfgw.converters.manage;

import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import io.tfgw.converters.serving.ManifestUpdater;
import io.tfgw.converters.serving.VersionManifest;
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
    CopyResult copied = copier.copy(plan, listener); // saved_model.pb lands last
    recordInManifest(base, existing, v, plan, copied);
    return new PushResult(target, v, copied);
  }

  /**
   * Lists the new version, with each file's size and CRC32C, in {@code BASE/.tfgw-versions.json}, the one object
   * {@code tfgw sync} polls. A manifest started in a base that already has versions lists those too (sizes only:
   * their content was not read), so a watcher that trusts the manifest misses none.
   */
  private void recordInManifest(Location base, TreeSet<Long> existing, long v, List<Transfer> plan, CopyResult copied) {
    ManifestUpdater updater = new ManifestUpdater(storage);
    if (!existing.isEmpty() && !storage.exists(VersionManifest.locationIn(base))) {
      for (long old : existing) {
        Location dir = base.resolve(Long.toString(old));
        List<VersionManifest.VersionFile> files = storage.list(dir).stream()
            .map(f -> new VersionManifest.VersionFile(dir.relativize(f.location()), f.length(), OptionalInt.empty()))
            .toList();
        if (files.stream().anyMatch(f -> f.path().equals("saved_model.pb") || f.path().equals("saved_model.pbtxt"))) {
          updater.add(base, new VersionManifest.ModelVersion(old, files));
        }
      }
    }
    Location target = base.resolve(Long.toString(v));
    List<VersionManifest.VersionFile> files = plan.stream().map(t -> new VersionManifest.VersionFile(
        target.relativize(t.destination()), t.length(), OptionalInt.of(copied.crc32c().get(t.destination())))).toList();
    updater.add(base, new VersionManifest.ModelVersion(v, files));
  }
}
