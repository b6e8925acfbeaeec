package io.tfgw.converters.v2;

import io.tfgw.core.storage.Location;
import java.util.List;
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

  /**
   * The first sentence of every report of missing data files: {@code Checkpoint P is incomplete: its index expects
   * N data file(s) but P.data-00001-of-00002 is missing}.
   */
  public static String incomplete(Location prefix, int numShards, List<Location> missing) {
    List<String> names = missing.stream().map(Location::fileName).toList();
    return "Checkpoint " + prefix + " is incomplete: its index expects " + numShards + " data file(s) but "
        + String.join(", ", names) + (names.size() == 1 ? " is" : " are") + " missing";
  }

  /** The warning for a checkpoint listed (from its index) without some of its data files. */
  public static String missingDataWarning(Location prefix, int numShards, List<Location> missing) {
    return incomplete(prefix, numShards, missing) + ". Its variables are listed from the index alone; --hash and "
        + "convert need every data file, --values only the one holding the tensor. " + copyAllTogether(prefix);
  }

  /** What to do about missing data files. */
  public static String copyAllTogether(Location prefix) {
    return "Copy all files of the checkpoint (" + prefix.fileName() + ".index and " + prefix.fileName()
        + ".data-*) together.";
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
