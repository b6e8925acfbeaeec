package io.tfgw.converters.zip;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;

/**
 * Entry names made canonical and checked: backslashes are separators (zips written on Windows use them), and
 * names that would escape the archive root (absolute, drive letters, {@code ..}) or hold NUL are refused.
 */
final class ZipNames {
  private ZipNames() {}

  static String normalize(String raw, Location where) {
    String name = raw.replace('\\', '/');
    if (name.startsWith("/") || name.matches("^[A-Za-z]:.*") || name.indexOf('\0') >= 0) {
      throw escapes(raw, where);
    }
    StringBuilder out = new StringBuilder();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw escapes(raw, where);
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    if (out.length() == 0) {
      throw new UnsupportedInputException(where + " holds an entry with an empty name");
    }
    return out.toString();
  }

  private static UnsupportedInputException escapes(String name, Location where) {
    return new UnsupportedInputException(where + " holds an entry named '" + name + "' that points outside the "
        + "archive; tfgw refuses such archives (they can overwrite files when unpacked)");
  }
}
