package io.tfgw.core.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a file or directory lives: a local path, an object-store key, or a path inside an archive. An immutable
 * value; parsing never touches storage.
 *
 * <p>Accepted forms: {@code model.ckpt} and {@code /abs/dir} (local, made absolute), {@code file:///abs},
 * {@code s3://bucket/key/prefix}, {@code memory://name/path} (in-memory store, for tests and embedding), and
 * {@code CONTAINER!/inner/path} for a path inside an archive {@code CONTAINER} (itself any location).
 *
 * <p>Paths never end in {@code /} (except a root): "directories" are just the common prefix of their files, which
 * is what object stores and archives have anyway.
 */
public final class Location {
  public static final String FILE = "file";
  public static final String S3 = "s3";
  public static final String MEMORY = "memory";
  public static final String ARCHIVE = "archive";

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
        default:
          throw new InvalidLocationException(
              "Unknown location scheme '" + scheme + "' in " + text + ": use a local path, file://, s3:// or ARCHIVE!/path");
      }
    }
    return local(Path.of(text));
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

  /** Bucket (s3) or store name (memory); empty for local files and archive entries. */
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
