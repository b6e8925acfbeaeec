package io.tfgw.converters.v1;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * File names of V1 checkpoints: one table file at the prefix itself, or, for a sharded Saver,
 * {@code <prefix>-NNNNN-of-NNNNN} (TF globs {@code <prefix>-?????-of-?????}).
 */
public final class V1Files {
  private static final Pattern SHARD = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})$");

  private V1Files() {}

  /** If the file is named like a V1 shard, its prefix; null otherwise. */
  public static Location prefixOfShard(Location file) {
    Matcher m = SHARD.matcher(file.fileName());
    return m.matches() ? file.parent().resolve(m.group(1)) : null;
  }

  public static Location shard(Location prefix, int shard, int numShards) {
    return prefix.appendToName(String.format("-%05d-of-%05d", shard, numShards));
  }

  /** The shard files of a sharded V1 prefix, in shard order; empty when there are none. */
  public static List<Location> shardsOf(Storage storage, Location prefix) {
    List<Location> found = new ArrayList<>();
    int total = -1;
    // the names directly below the prefix's directory: on a local disk not a walk of every subdirectory (which for
    // a mistyped /model would be the whole disk)
    for (String name : io.tfgw.core.storage.ShallowListing.namesBelow(storage, prefix.parent())) {
      Matcher m = SHARD.matcher(name);
      if (m.matches() && m.group(1).equals(prefix.fileName())) {
        int n = Integer.parseInt(m.group(3));
        if (total < 0 || n == total) {
          total = n;
          found.add(prefix.parent().resolve(name));
        }
      }
    }
    found.sort((a, b) -> a.fileName().compareTo(b.fileName()));
    return found;
  }
}
