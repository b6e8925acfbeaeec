package io.tfgw.serve;

import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps every request inside ROOT. URL paths are decoded one segment at a time and a segment that could climb
 * ({@code ..}, {@code .}) or hides a separator ({@code %2F}, {@code %5C}, NUL) is refused before any location is
 * built; on local disks the real path (symlinks followed) must still lie below ROOT's real path, so a symlink
 * pointing out of ROOT is as absent as a file that does not exist. Answers never name anything outside ROOT.
 */
final class RootGuard {
  private final Storage storage;
  private final Location root;
  private final Path localRootReal;

  RootGuard(Storage storage, Location root) {
    this.storage = storage;
    this.root = root;
    Path real = null;
    if (root.isLocal()) {
      try {
        real = root.toLocalPath().toRealPath();
      } catch (IOException e) {
        throw new io.tfgw.core.storage.LocationNotFoundException(root, "ROOT " + root + " does not exist or cannot be "
            + "read: give the directory, bucket prefix or archive that holds the models");
      }
    }
    this.localRootReal = real;
  }

  Location root() {
    return root;
  }

  Storage storage() {
    return storage;
  }

  /** The decoded segments of a raw URL path (or part of one), refusing any that could leave ROOT. */
  static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String raw : rawPath.split("/", -1)) {
      if (raw.isEmpty()) {
        continue;
      }
      String s = percentDecode(raw);
      if (s.equals(".") || s.equals("..") || s.indexOf('/') >= 0 || s.indexOf('\\') >= 0 || s.indexOf('\0') >= 0
          || s.indexOf('!') >= 0) {
        // '!' would step into an archive by tfgw's location syntax, which ROOT's owner did not ask to serve
        throw HttpError.badRequest("Path segment '" + raw + "' is not allowed (no '.', '..', encoded separators or"
            + " '!')");
      }
      out.add(s);
    }
    return out;
  }

  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
        int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw HttpError.badRequest("Bad percent-encoding in the path");
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The location of decoded segments below ROOT; 404 when a symlink on the way leads out of ROOT. */
  Location resolve(List<String> segments) {
    Location loc = segments.isEmpty() ? root : root.resolve(String.join("/", segments));
    if (!loc.isWithin(root) || !insideOnDisk(loc)) {
      throw HttpError.notFound("No such path: /" + String.join("/", segments));
    }
    return loc;
  }

  /** The path of a location below ROOT, '/'-separated, "" for ROOT itself. */
  String relative(Location loc) {
    String rel = root.relativize(loc);
    if (rel == null) {
      throw new IllegalStateException("outside ROOT: " + loc);
    }
    return rel;
  }

  /** Files below a directory, without any that a symlink places outside ROOT. */
  List<FileEntry> list(Location directory) {
    List<FileEntry> all = storage.list(directory);
    if (localRootReal == null) {
      return all;
    }
    List<FileEntry> kept = new ArrayList<>(all.size());
    for (FileEntry e : all) {
      if (insideOnDisk(e.location())) {
        kept.add(e);
      }
    }
    return kept;
  }

  /** On local disks: the real path of the location's nearest existing ancestor lies below ROOT's real path. */
  private boolean insideOnDisk(Location loc) {
    if (localRootReal == null) {
      return true;
    }
    Path p = loc.toLocalPath();
    while (p != null && !Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      p = p.getParent();
    }
    if (p == null) {
      return false;
    }
    try {
      return p.toRealPath().startsWith(localRootReal);
    } catch (IOException e) {
      return false; // a dangling symlink: nothing to serve
    }
  }
}
