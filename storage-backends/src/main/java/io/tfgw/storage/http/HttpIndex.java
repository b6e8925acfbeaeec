package io.tfgw.storage.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the directory index a web server generates (nginx's {@code autoindex} in HTML or JSON, Apache's
 * {@code mod_autoindex}, Python's {@code http.server}, ...): the entries directly below the directory. HTML gives
 * names only (sizes in HTML are rounded or missing); nginx's JSON format ({@code autoindex_format json}) gives exact
 * sizes too. Links that leave the directory, go up, carry a query ({@code ?C=N;O=D} sort links) or point elsewhere
 * are not entries.
 */
final class HttpIndex {
  private HttpIndex() {}

  /** One entry of an index: a file (size, or -1 when the index does not tell) or a subdirectory. */
  record Entry(String name, boolean directory, long size) {}

  private static final Pattern HREF = Pattern.compile(
      "<a\\s[^>]*?href\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s>\"']+))", Pattern.CASE_INSENSITIVE);
  private static final Pattern JSON_OBJECT = Pattern.compile("\\{[^{}]*\\}");
  private static final Pattern JSON_NAME = Pattern.compile("\"name\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern JSON_TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([a-z]+)\"");
  private static final Pattern JSON_SIZE = Pattern.compile("\"size\"\\s*:\\s*(\\d+)");

  /** The entries of the index page {@code body} served for {@code directory} (a URI ending in {@code /}). */
  static List<Entry> parse(URI directory, byte[] body, String contentType) {
    String text = new String(body, StandardCharsets.UTF_8);
    boolean json = contentType.toLowerCase(java.util.Locale.ROOT).contains("json") || text.stripLeading().startsWith("[");
    return json ? parseJson(text) : parseHtml(directory, text);
  }

  /** Whether a page looks like an index at all (HTML or a JSON array), as opposed to some other file. */
  static boolean looksLikeIndex(byte[] body, String contentType) {
    String type = contentType.toLowerCase(java.util.Locale.ROOT);
    String start = new String(body, 0, Math.min(body.length, 512), StandardCharsets.UTF_8).stripLeading().toLowerCase(java.util.Locale.ROOT);
    return type.contains("html") || type.contains("json") || start.startsWith("[") || start.startsWith("<!doctype html")
        || start.startsWith("<html");
  }

  private static List<Entry> parseJson(String text) {
    List<Entry> out = new ArrayList<>();
    Matcher objects = JSON_OBJECT.matcher(text);
    while (objects.find()) {
      String o = objects.group();
      Matcher name = JSON_NAME.matcher(o);
      Matcher type = JSON_TYPE.matcher(o);
      if (!name.find() || !type.find()) {
        continue;
      }
      String n = unescapeJson(name.group(1));
      if (n.isEmpty() || n.equals(".") || n.equals("..") || n.contains("/")) {
        continue;
      }
      Matcher size = JSON_SIZE.matcher(o);
      boolean dir = type.group(1).equals("directory");
      out.add(new Entry(n, dir, !dir && size.find() ? Long.parseLong(size.group(1)) : -1));
    }
    return out;
  }

  private static List<Entry> parseHtml(URI directory, String text) {
    Map<String, Entry> out = new LinkedHashMap<>();
    Matcher m = HREF.matcher(text);
    String base = directory.getRawPath();
    while (m.find()) {
      String href = unescapeHtml(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3)).trim();
      if (href.isEmpty() || href.startsWith("?") || href.startsWith("#") || href.indexOf('?') >= 0 || href.indexOf('#') >= 0) {
        continue;
      }
      URI target;
      try {
        target = directory.resolve(href.replace(" ", "%20"));
      } catch (IllegalArgumentException e) {
        continue; // not a link tfgw can follow
      }
      if (target.getHost() == null || !target.getHost().equalsIgnoreCase(directory.getHost())
          || target.getPort() != directory.getPort() || target.getRawPath() == null
          || !target.getRawPath().startsWith(base)) {
        continue;
      }
      String rest = target.getRawPath().substring(base.length());
      boolean dir = rest.endsWith("/");
      String name = dir ? rest.substring(0, rest.length() - 1) : rest;
      if (name.isEmpty() || name.contains("/")) {
        continue;
      }
      String decoded;
      try {
        decoded = java.net.URLDecoder.decode(name.replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (decoded.equals(".") || decoded.equals("..") || decoded.contains("/")) {
        continue;
      }
      out.putIfAbsent(decoded + (dir ? "/" : ""), new Entry(decoded, dir, -1));
    }
    return new ArrayList<>(out.values());
  }

  private static String unescapeHtml(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    Matcher m = Pattern.compile("&(#x[0-9a-fA-F]+|#\\d+|amp|lt|gt|quot|apos);").matcher(s);
    int last = 0;
    while (m.find()) {
      b.append(s, last, m.start());
      String e = m.group(1);
      switch (e) {
        case "amp" -> b.append('&');
        case "lt" -> b.append('<');
        case "gt" -> b.append('>');
        case "quot" -> b.append('"');
        case "apos" -> b.append('\'');
        default -> {
          try {
            b.appendCodePoint(e.startsWith("#x") ? Integer.parseInt(e.substring(2), 16) : Integer.parseInt(e.substring(1)));
          } catch (IllegalArgumentException bad) {
            b.append(m.group()); // not a character: kept as written
          }
        }
      }
      last = m.end();
    }
    return b.append(s.substring(last)).toString();
  }

  private static String unescapeJson(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 >= s.length()) {
        b.append(c);
        continue;
      }
      char n = s.charAt(++i);
      switch (n) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          if (i + 4 < s.length() && s.substring(i + 1, i + 5).matches("[0-9a-fA-F]{4}")) {
            b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
            i += 4;
          }
        }
        default -> b.append(n);
      }
    }
    return b.toString();
  }
}
