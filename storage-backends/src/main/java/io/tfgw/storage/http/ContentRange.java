package io.tfgw.storage.http;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code Content-Range: bytes FIRST-LAST/TOTAL} header (or {@code bytes * /TOTAL} of a 416); -1 where unknown. */
record ContentRange(long first, long last, long total) {
  private static final Pattern RANGE = Pattern.compile("\\s*bytes\\s+(?:(\\d+)-(\\d+)|\\*)/(\\d+|\\*)\\s*", Pattern.CASE_INSENSITIVE);

  static Optional<ContentRange> parse(String header) {
    Matcher m = RANGE.matcher(header);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      long first = m.group(1) == null ? -1 : Long.parseLong(m.group(1));
      long last = m.group(2) == null ? -1 : Long.parseLong(m.group(2));
      long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      return Optional.of(new ContentRange(first, last, total));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
