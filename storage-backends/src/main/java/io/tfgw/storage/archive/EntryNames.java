package io.tfgw.storage.archive;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;

/**
 * Entry names of archives, checked so that no entry can escape the archive root: absolute names, drive letters,
 * backslashes and {@code ..} segments are refused (the "zip slip" family), as are links.
 */
final class EntryNames {
  private EntryNames() {}

  /** The entry's path relative to the archive root ({@code ./a//b/} becomes {@code a/b}). */
  static String normalize(String name, Location container) {
    if (name.startsWith("/") || name.contains("\\") || name.matches("^[A-Za-z]:.*") || name.indexOf('\0') >= 0) {
      throw escapes(name, container);
    }
    StringBuilder out = new StringBuilder();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw escapes(name, container);
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }

  static UnsupportedInputException escapes(String name, Location container) {
    return new UnsupportedInputException("Archive " + container + " holds an entry named '" + name + "' that points "
        + "outside the archive; tfgw refuses such archives (they can overwrite files when unpacked)");
  }

  static UnsupportedInputException link(String name, Location container) {
    return new UnsupportedInputException("Archive " + container + " holds a link '" + name + "'; tfgw refuses "
        + "archives with links (they can point outside the archive). Re-create it without links (tar --dereference).");
  }
}
