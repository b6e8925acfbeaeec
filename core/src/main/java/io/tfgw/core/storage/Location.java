package io.tfgw.core.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a file or directory lives: a local path, an object-store key, or a path inside an archive. An immutable
 * value; parsing never touches storage.
 *
 * <p>Accepted forms: {@code model.ckpt} and {@code /abs/dir} (local, made absolute), {@code file:///abs},
 * {@code s3://bucket/key/prefix}, {@code gs://bucket/key}, {@code az://account/container/path} (also written
 * {@code abfs[s]://container@account.dfs.core.windows.net/path} or {@code wasb[s]://container@account.blob...}),
 * {@code hdfs://namenode:port/path} ({@code hdfs:///path}: the configured default file system),
 * {@code http[s]://host[:port]/path} (read-only), {@code memory://name/path} (in-memory store, for tests and
 * embedding), and {@code CONTAINER!/inner/path} for a path inside an archive {@code CONTAINER} (itself any
 * location).
 *
 * <p>The authority is the bucket (s3, gs), {@code account/container} (az), {@code host:port} (hdfs, http, https)
 * or the store name (memory). HTTP paths are kept decoded ({@code %20} is a space) and encoded again by
 * {@link #toString()}, so names read from a listing and names typed as URLs are the same locations.
 *
 * <p>Paths never end in {@code /} (except a root): "directories" are just the common prefix of their files, which
 * is what object stores and archives have anyway.
 */
public final class Location {
  public static final String FILE = "file";
  public static final String S3 = "s3";
  public static final String MEMORY = "memory";
  public static final String ARCHIVE = "archive";
  public static final String GCS = "gs";
  public static final String AZURE = "az";
  public static final String HDFS = "hdfs";
  public static final String HTTP = "http";
  public static final String HTTPS = "https";

  private final String scheme;
  private final String authority; // bucket for s3, store name for memory; "" otherwise
  private final String path; // absolute for file, no leading '/' for the others
  private final Location container; // only for ARCHIVE

  private Location(String scheme, String authority, String path, Location container) {
    this.scheme = scheme;
    this.authority = authority;
    this.path = path;
    this.container = container;
  }

  public static Location parse(String text) {
    Objects.requireNonNull(text, "location");
    if (text.isEmpty()) {
      throw new InvalidLocationException("An empty string is not a location");
    }
    int bang = text.lastIndexOf("!/"); // the innermost archive: a.zip!/b.tar!/c is c inside a.zip!/b.tar
    if (bang < 0 && text.endsWith("!")) {
      bang = text.length() - 1;
    }
    if (bang > 0) {
      Location outer = parse(text.substring(0, bang));
      String inner = bang + 2 <= text.length() ? text.substring(Math.min(bang + 2, text.length())) : "";
      return new Location(ARCHIVE, "", normalizeRelative(inner, text), outer);
    }
    int colon = text.indexOf("://");
    if (colon > 0 && text.substring(0, colon).matches("[a-zA-Z][a-zA-Z0-9+.-]*")) {
      String scheme = text.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
      String rest = text.substring(colon + 3);
      switch (scheme) {
        case FILE:
          return local(Path.of(URI.create(text)));
        case S3:
        case "s3a":
        case MEMORY: {
          int slash = rest.indexOf('/');
          String authority = slash < 0 ? rest : rest.substring(0, slash);
          String key = slash < 0 ? "" : rest.substring(slash + 1);
          if (authority.isEmpty()) {
            throw new InvalidLocationException("Location " + text + " names no bucket: use " + scheme + "://BUCKET/KEY");
          }
          return new Location(scheme.equals("s3a") ? S3 : scheme, authority, normalizeRelative(key, text), null);
        }
        case GCS: {
          int slash = rest.indexOf('/');
          String bucket = slash < 0 ? rest : rest.substring(0, slash);
          if (bucket.isEmpty()) {
            throw new InvalidLocationException("Location " + text + " names no bucket: use gs://BUCKET/KEY");
          }
          return new Location(GCS, bucket, normalizeRelative(slash < 0 ? "" : rest.substring(slash + 1), text), null);
        }
        case AZURE:
          return azure(rest, text);
        case "abfs":
        case "abfss":
        case "wasb":
        case "wasbs":
          return azureHadoopStyle(scheme, rest, text);
        case HDFS: {
          int slash = rest.indexOf('/');
          String authority = slash < 0 ? rest : rest.substring(0, slash);
          return new Location(HDFS, authority, normalizeRelative(slash < 0 ? "" : rest.substring(slash + 1), text), null);
        }
        case HTTP:
        case HTTPS:
          return http(scheme, rest, text);
        default:
          throw new InvalidLocationException("Unknown location scheme '" + scheme + "' in " + text + ": use a local "
              + "path, file://, s3://, gs://, az://, hdfs://, http(s):// or ARCHIVE!/path");
      }
    }
    return local(Path.of(text));
  }

  /** {@code az://ACCOUNT/CONTAINER/PATH}: the authority is {@code ACCOUNT/CONTAINER}. */
  private static Location azure(String rest, String text) {
    String[] parts = rest.split("/", 3);
    if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new InvalidLocationException("Location " + text + " names no storage account and container: use "
          + "az://ACCOUNT/CONTAINER/PATH");
    }
    return new Location(AZURE, parts[0].toLowerCase(java.util.Locale.ROOT) + "/" + parts[1],
        normalizeRelative(parts.length > 2 ? parts[2] : "", text), null);
  }

  /**
   * Hadoop's spellings of Azure locations, {@code abfs[s]://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH} and
   * {@code wasb[s]://CONTAINER@ACCOUNT.blob.core.windows.net/PATH}, are the same blobs as
   * {@code az://ACCOUNT/CONTAINER/PATH}. Other hosts (sovereign clouds, emulators) need the endpoint given
   * separately, so they are refused with the az:// form to use.
   */
  private static Location azureHadoopStyle(String scheme, String rest, String text) {
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    int at = authority.indexOf('@');
    String host = authority.substring(at + 1).toLowerCase(java.util.Locale.ROOT);
    int dot = host.indexOf('.');
    String suffix = dot < 0 ? "" : host.substring(dot);
    if (at <= 0 || dot <= 0 || !(suffix.equals(".dfs.core.windows.net") || suffix.equals(".blob.core.windows.net"))) {
      throw new InvalidLocationException("Location " + text + " is not " + scheme + "://CONTAINER@ACCOUNT"
          + ".dfs.core.windows.net/PATH: write it as az://ACCOUNT/CONTAINER/PATH (and give the endpoint with "
          + "--azure-endpoint when it is not ACCOUNT.blob.core.windows.net)");
    }
    return new Location(AZURE, host.substring(0, dot) + "/" + authority.substring(0, at),
        normalizeRelative(slash < 0 ? "" : rest.substring(slash + 1), text), null);
  }

  /** {@code http[s]://HOST[:PORT]/PATH}, the path percent-decoded; query strings and fragments are refused. */
  private static Location http(String scheme, String rest, String text) {
    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw new InvalidLocationException("Location " + text + " has a query string or fragment, which tfgw cannot "
          + "use: it finds a model's other files (model.ckpt.index, .data-*, variables/) by their paths. Give a URL "
          + "without ?... or #..., or download the file first");
    }
    int slash = rest.indexOf('/');
    String authority = (slash < 0 ? rest : rest.substring(0, slash)).toLowerCase(java.util.Locale.ROOT);
    if (authority.isEmpty() || authority.contains("@")) {
      throw new InvalidLocationException("Location " + text + " names no host (or has user:password@, which tfgw "
          + "does not take in URLs): use " + scheme + "://HOST[:PORT]/PATH");
    }
    return new Location(scheme, authority, normalizeRelative(percentDecode(slash < 0 ? "" : rest.substring(slash + 1), text), text), null);
  }

  private static String percentDecode(String s, String original) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int value = i + 2 < s.length() ? parseHexByte(s, i + 1) : -1;
        if (value < 0) {
          throw new InvalidLocationException("Location " + original + " has a '%' that is not followed by two hex "
              + "digits; write a literal % as %25");
        }
        out.write(value);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static int parseHexByte(String s, int at) {
    int hi = Character.digit(s.charAt(at), 16);
    int lo = Character.digit(s.charAt(at + 1), 16);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }

  /** The path with each segment percent-encoded as in a URL (RFC 3986 unreserved characters stay as they are). */
  private static String percentEncodePath(String path) {
    StringBuilder b = new StringBuilder();
    for (byte x : path.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/!$&'()*+,;=:@".indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }

  /** Whether this is an http or https location. */
  public boolean isHttp() {
    return scheme.equals(HTTP) || scheme.equals(HTTPS);
  }

  /** The path {@code inner} inside the archive {@code container} ({@code CONTAINER!/inner}). */
  public static Location inArchive(Location container, String inner) {
    Objects.requireNonNull(container, "container");
    return new Location(ARCHIVE, "", normalizeRelative(inner, container + "!/" + inner), container);
  }

  public static Location local(Path path) {
    return new Location(FILE, "", path.toAbsolutePath().normalize().toString(), null);
  }

  private static String normalizeRelative(String key, String original) {
    String k = key;
    while (k.startsWith("/")) {
      k = k.substring(1);
    }
    while (k.endsWith("/")) {
      k = k.substring(0, k.length() - 1);
    }
    StringBuilder out = new StringBuilder();
    for (String part : k.split("/", -1)) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new InvalidLocationException("Location " + original + " uses '..', which is not allowed in object-store keys or archive paths");
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }

  public String scheme() {
    return scheme;
  }

  /**
   * Bucket (s3, gs), {@code account/container} (az), {@code host:port} (hdfs, http, https) or store name (memory);
   * empty for local files and archive entries (and for {@code hdfs:///path}).
   */
  public String authority() {
    return authority;
  }

  /** Absolute path for local files; key or entry path without a leading slash otherwise. */
  public String path() {
    return path;
  }

  /** The archive holding this entry, or null when this is not a path inside an archive. */
  public Location container() {
    return container;
  }

  public boolean isLocal() {
    return scheme.equals(FILE);
  }

  public Path toLocalPath() {
    if (!isLocal()) {
      throw new IllegalStateException(this + " is not a local path");
    }
    return Path.of(path);
  }

  /** Last path segment ("" for a root). */
  public String fileName() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  public boolean isRoot() {
    return isLocal() ? path.equals("/") : path.isEmpty();
  }

  /** The directory holding this location (itself for a root). */
  public Location parent() {
    if (isRoot()) {
      return this;
    }
    int slash = path.lastIndexOf('/');
    String parent;
    if (isLocal()) {
      parent = slash <= 0 ? "/" : path.substring(0, slash);
    } else {
      parent = slash < 0 ? "" : path.substring(0, slash);
    }
    return new Location(scheme, authority, parent, container);
  }

  /**
   * A location below this one; {@code relative} uses '/' separators. Only local paths may climb with "..";
   * object-store keys and archive entries cannot.
   */
  public Location resolve(String relative) {
    if (isLocal()) {
      // local paths may climb ("../other/model.ckpt" in a checkpoint state file); the result is normalized
      return local(Path.of(path).resolve(relative.startsWith("/") ? relative.substring(1) : relative));
    }
    String rel = normalizeRelative(relative, relative);
    if (rel.isEmpty()) {
      return this;
    }
    String joined;
    if (isRoot()) {
      joined = isLocal() ? "/" + rel : rel;
    } else {
      joined = path + "/" + rel;
    }
    return new Location(scheme, authority, joined, container);
  }

  /** This location with text appended to its last segment, as TF builds {@code prefix + ".index"}. */
  public Location appendToName(String suffix) {
    if (suffix.contains("/")) {
      throw new IllegalArgumentException("suffix must not contain '/': " + suffix);
    }
    return new Location(scheme, authority, path + suffix, container);
  }

  /** The path of {@code child} relative to this location, or null when child is not below it. */
  public String relativize(Location child) {
    if (!Objects.equals(scheme, child.scheme) || !Objects.equals(authority, child.authority)
        || !Objects.equals(container, child.container)) {
      return null;
    }
    if (child.path.equals(path)) {
      return "";
    }
    String base = isRoot() ? (isLocal() ? "/" : "") : path + "/";
    return child.path.startsWith(base) ? child.path.substring(base.length()) : null;
  }

  /** Whether this location is {@code other} or lies below it. */
  public boolean isWithin(Location other) {
    return other.relativize(this) != null;
  }

  @Override
  public String toString() {
    switch (scheme) {
      case FILE:
        return path;
      case ARCHIVE:
        return container + "!/" + path;
      case HTTP:
      case HTTPS:
        return scheme + "://" + authority + "/" + percentEncodePath(path);
      default:
        return scheme + "://" + authority + "/" + path;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Location)) {
      return false;
    }
    Location other = (Location) o;
    return scheme.equals(other.scheme) && authority.equals(other.authority) && path.equals(other.path)
        && Objects.equals(container, other.container);
  }

  @Override
  public int hashCode() {
    return Objects.hash(scheme, authority, path, container);
  }
}
