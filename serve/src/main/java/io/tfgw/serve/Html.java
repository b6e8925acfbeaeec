package io.tfgw.serve;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Escaping for the pages: every name that came from a file (tensor names, paths) goes through here. */
final class Html {
  private Html() {}

  static String text(Object value) {
    String s = String.valueOf(value);
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A URL path from segments, each percent-encoded (so '/' inside a name never splits it). */
  static String path(String prefix, List<String> segments) {
    StringBuilder b = new StringBuilder(prefix);
    for (String s : segments) {
      if (b.length() == 0 || b.charAt(b.length() - 1) != '/') {
        b.append('/');
      }
      b.append(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return b.toString();
  }

  static String query(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String number(double d) {
    if (Double.isNaN(d)) {
      return "-";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return String.format(java.util.Locale.ROOT, "%d", (long) d);
    }
    return String.format(java.util.Locale.ROOT, "%.6g", d);
  }
}
