package io.tfgw.converters.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.storage.Location;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The small file {@code push} keeps beside a model's versions, {@code BASE/.tfgw-versions.json}: every complete
 * version with its files, their sizes and CRC32C. A watcher polls this one object (with {@code If-None-Match})
 * instead of listing the bucket, and checks what it downloads against it.
 *
 * <pre>{"format": "tfgw-versions/1", "versions": [{"version": 3, "files": [
 *   {"path": "saved_model.pb", "bytes": 1234, "crc32c": "0a1b2c3d"}, ...]}]}</pre>
 *
 * A version appears here only once all its files are in place ({@code saved_model.pb} included).
 */
public record VersionManifest(List<ModelVersion> versions) {
  public static final String FILE_NAME = ".tfgw-versions.json";
  static final String FORMAT = "tfgw-versions/1";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One file of a version: its path below the version directory, size and CRC32C (absent for listed versions). */
  public record VersionFile(String path, long bytes, OptionalInt crc32c) {}

  /** A complete version and its files. */
  public record ModelVersion(long version, List<VersionFile> files) {
    public ModelVersion {
      files = List.copyOf(files);
    }
  }

  public VersionManifest {
    versions = versions.stream().sorted(Comparator.comparingLong(ModelVersion::version)).toList();
  }

  public static VersionManifest empty() {
    return new VersionManifest(List.of());
  }

  public static Location locationIn(Location base) {
    return base.resolve(FILE_NAME);
  }

  public Optional<ModelVersion> version(long version) {
    return versions.stream().filter(v -> v.version() == version).findFirst();
  }

  /** This manifest with {@code version} added (replacing an entry of the same number). */
  public VersionManifest with(ModelVersion version) {
    List<ModelVersion> all = new ArrayList<>(versions.stream().filter(v -> v.version() != version.version()).toList());
    all.add(version);
    return new VersionManifest(all);
  }

  public static VersionManifest parse(byte[] content, Location where) {
    try {
      JsonNode root = JSON.readTree(content);
      if (root == null || !FORMAT.equals(root.path("format").asText())) {
        throw new CorruptInputException(where + " is not a tfgw version manifest (expected \"format\": \"" + FORMAT
            + "\"); delete it and push again, or remove it to let tfgw sync list the versions instead");
      }
      List<ModelVersion> versions = new ArrayList<>();
      for (JsonNode v : root.path("versions")) {
        List<VersionFile> files = new ArrayList<>();
        for (JsonNode f : v.path("files")) {
          String path = f.path("path").asText();
          if (path.isEmpty() || path.startsWith("/") || path.contains("..") || path.contains("\\")) {
            throw new CorruptInputException(where + " names a file outside its version: '" + path + "'");
          }
          JsonNode crc = f.get("crc32c");
          files.add(new VersionFile(path, f.path("bytes").asLong(-1),
              crc == null || crc.isNull() ? OptionalInt.empty() : OptionalInt.of(Integer.parseUnsignedInt(crc.asText(), 16))));
        }
        if (!v.path("version").canConvertToLong() || v.path("version").asLong() < 0) {
          throw new CorruptInputException(where + " has a version that is not a non-negative number: " + v.path("version"));
        }
        versions.add(new ModelVersion(v.path("version").asLong(), files));
      }
      return new VersionManifest(versions);
    } catch (IOException | NumberFormatException e) {
      throw new CorruptInputException(where + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("")
          + "); delete it and push again", e);
    }
  }

  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    ArrayNode vs = root.putArray("versions");
    for (ModelVersion v : versions) {
      ObjectNode o = vs.addObject();
      o.put("version", v.version());
      ArrayNode fs = o.putArray("files");
      for (VersionFile f : v.files()) {
        ObjectNode fo = fs.addObject();
        fo.put("path", f.path());
        fo.put("bytes", f.bytes());
        if (f.crc32c().isPresent()) {
          fo.put("crc32c", String.format("%08x", f.crc32c().getAsInt()));
        }
      }
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
