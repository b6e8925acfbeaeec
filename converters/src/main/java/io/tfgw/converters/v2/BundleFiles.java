package io.tfgw.converters.v2;

import io.tfgw.core.storage.Location;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** File names of a V2 bundle: {@code <prefix>.index} and {@code <prefix>.data-%05d-of-%05d}. */
public final class BundleFiles {
  private static final Pattern DATA = Pattern.compile("^(.*)\\.data-(\\d{5,})-of-(\\d{5,})$");

  private BundleFiles() {}

  public static Location index(Location prefix) {
    return prefix.appendToName(".index");
  }

  public static Location data(Location prefix, int shard, int numShards) {
    return prefix.appendToName(String.format(".data-%05d-of-%05d", shard, numShards));
  }

  /** If {@code file} is named like a data shard, the checkpoint prefix it belongs to; null otherwise. */
  public static Location prefixOfDataFile(Location file) {
    Matcher m = DATA.matcher(file.fileName());
    if (!m.matches()) {
      return null;
    }
    return file.parent().resolve(m.group(1));
  }

  /** If {@code file} is a {@code .index} file, its prefix; null otherwise. */
  public static Location prefixOfIndexFile(Location file) {
    String name = file.fileName();
    return name.endsWith(".index") && name.length() > 6
        ? file.parent().resolve(name.substring(0, name.length() - 6)) : null;
  }
}
