package io.tfgw.core.storage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * An optional capability: the names directly below a directory, without descending. {@link Storage#list} is a
 * blob-store listing of everything below a prefix, which on a local disk is a walk of the whole tree; a hint such
 * as "did you mean ..." for a mistyped path must not walk {@code /} or a home directory to find a sibling's name.
 */
public interface ShallowListing {
  /**
   * The names (files and subdirectories) directly below {@code directory}, sorted, at most {@code limit} of them;
   * empty when it is not a directory.
   */
  List<String> childNames(Location directory, int limit);

  /**
   * The names directly below {@code directory} on any backend: the shallow listing where the backend has one, else
   * the first path segments of its (recursive, prefix) listing, in listing order without repeats.
   */
  static List<String> namesBelow(Storage storage, Location directory) {
    java.util.Optional<ShallowListing> shallow = storage.capability(ShallowListing.class, directory);
    if (shallow.isPresent()) {
      return shallow.get().childNames(directory, Integer.MAX_VALUE);
    }
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (FileEntry f : storage.list(directory)) {
      String rel = directory.relativize(f.location());
      names.add(rel.contains("/") ? rel.substring(0, rel.indexOf('/')) : rel);
    }
    return new ArrayList<>(names);
  }
}
