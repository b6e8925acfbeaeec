package io.tfgw.converters.resolve;

import io.tfgw.converters.v1.V1Files;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Turns what the user typed into a model or checkpoint: a checkpoint prefix, any file of a checkpoint, a directory
 * with a {@code checkpoint} state file (its latest checkpoint), a SavedModel directory, or a single model file.
 * Formats are recognised by content; when the user names the wrong thing the error says what to name instead.
 */
public final class Resolver {
  private final Storage storage;

  public Resolver(Storage storage) {
    this.storage = storage;
  }

  public Resolved resolve(Location location) {
    return resolve(location, new ArrayList<>(), 0);
  }

  private Resolved resolve(Location loc, List<String> notes, int depth) {
    if (depth > 4) {
      throw new WrongInputException("Checkpoint state files point at each other in a loop at " + loc);
    }
    if (storage.exists(loc)) {
      return resolveFile(loc, notes, depth);
    }
    if (storage.exists(BundleFiles.index(loc))) {
      return new Resolved("v2", loc, notes);
    }
    if (!loc.isRoot() && !V1Files.shardsOf(storage, loc).isEmpty()) {
      return new Resolved("v1", loc, notes);
    }
    if (storage.isDirectory(loc)) {
      return resolveDirectory(loc, notes, depth);
    }
    throw notFound(loc);
  }

  private Resolved resolveFile(Location file, List<String> notes, int depth) {
    FileKind kind = FileSniffer.sniff(storage, file);
    switch (kind) {
      case V2_INDEX: {
        Location prefix = BundleFiles.prefixOfIndexFile(file);
        if (prefix == null) {
          throw new WrongInputException(file + " is a V2 checkpoint index, but TensorFlow finds an index only as "
              + "<prefix>.index: rename it to " + file.fileName() + ".index (with its .data-* files renamed to match)");
        }
        return new Resolved("v2", prefix, notes);
      }
      case V2_DATA: {
        Location prefix = BundleFiles.prefixOfDataFile(file);
        if (!storage.exists(BundleFiles.index(prefix))) {
          throw new WrongInputException(file + " is a data shard of checkpoint " + prefix + ", but "
              + BundleFiles.index(prefix).fileName() + " is missing next to it: the tensors cannot be found without "
              + "the index. Copy the .index file written with this data file.");
        }
        notes.add("using checkpoint " + prefix + ", which " + file.fileName() + " belongs to");
        return new Resolved("v2", prefix, notes);
      }
      case V1_TABLE: {
        Location prefix = V1Files.prefixOfShard(file);
        if (prefix != null && V1Files.shardsOf(storage, prefix).size() > 1) {
          notes.add("using all " + V1Files.shardsOf(storage, prefix).size() + " shards of V1 checkpoint " + prefix);
          return new Resolved("v1", prefix, notes);
        }
        return new Resolved("v1", prefix != null ? prefix : file, notes);
      }
      case CHECKPOINT_STATE:
        return resolveStateFile(file, notes, depth);
      case PROTOBUF:
        return resolveProtobuf(file, notes);
      case HDF5:
        if (file.fileName().endsWith(".keras")) {
          notes.add(file.fileName() + " is an HDF5 file, not the zip Keras 3 writes under that name (a legacy Keras "
              + "model saved as HDF5 and named .keras); reading it as Keras HDF5");
        }
        return new Resolved("hdf5", file, notes);
      case ZIP:
        return resolveZip(file, notes);
      case GIT_LFS_POINTER:
        throw new WrongInputException(file + " is a Git LFS pointer, not the file itself: " + lfsPointerFacts(file)
            + ". The repository stores the real file in Git LFS and it was never downloaded; run 'git lfs pull' in "
            + "the repository (or download the file from the hosting site) and give tfgw that file");
      case EMPTY:
        throw new WrongInputException(file + " is empty (0 bytes): a download or copy that did not finish, or a "
            + "file that was never written. Copy the model again");
      case JSON:
        throw new WrongInputException(file + " is " + describeJson(file) + ", not a model with weights. A Keras "
            + "architecture goes with its weights: tfgw convert WEIGHTS.h5 DST --to savedmodel --keras-config " + file);
      case SAFETENSORS:
        return new Resolved("safetensors", file, notes);
      case ONNX:
        return new Resolved("onnx", file, notes);
      case OTHER_TABLE:
        throw new UnsupportedInputException(file + " is a table (SSTable) file but neither a V1 checkpoint nor a V2 "
            + "checkpoint index");
      default:
        throw new UnsupportedInputException(file + " is not a file tfgw recognises: not a TensorFlow checkpoint "
            + "(V1 file, V2 .index/.data), SavedModel, GraphDef/.meta, Keras .keras or HDF5, or safetensors file. Give "
            + "a checkpoint's prefix or one of its files, a SavedModel directory, a .pb, .meta, .keras, .h5 or "
            + ".safetensors file");
    }
  }

  /** A Keras 3 {@code .keras} is a zip holding {@code config.json}; any other zip is only a container. */
  private Resolved resolveZip(Location file, List<String> notes) {
    try (io.tfgw.converters.zip.ZipReader zip = io.tfgw.converters.zip.ZipReader.open(storage.inputFile(file).open(),
        file)) {
      if (zip.entry("config.json") != null) {
        return new Resolved("keras", file, notes);
      }
      List<String> names = new ArrayList<>(zip.entries().keySet());
      throw new WrongInputException(file + " is a zip archive but not a Keras .keras model (it has no config.json; "
          + "it holds " + (names.isEmpty() ? "nothing" : String.join(", ", names.subList(0, Math.min(5, names.size())))
          + (names.size() > 5 ? ", ..." : "")) + "). To read a file inside an archive, name it as " + file + "!/PATH");
    }
  }

  /** What a Git LFS pointer says about the missing file (its object id and size). */
  private String lfsPointerFacts(Location file) {
    byte[] head;
    try (var in = storage.inputFile(file).open()) {
      head = in.readFully(0, (int) Math.min(1024, in.length()));
    }
    String oid = null;
    String size = null;
    for (String line : new String(head, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("oid ")) {
        oid = line.substring(4).trim();
      } else if (line.startsWith("size ")) {
        size = line.substring(5).trim();
      }
    }
    return "a " + head.length + "-byte text stub" + (oid == null ? "" : " naming object " + oid)
        + (size == null ? "" : " of " + size + " bytes");
  }

  /** A Keras architecture (model.to_json(), a .keras's config.json) or some other JSON. */
  private String describeJson(Location file) {
    try (var in = storage.inputFile(file).open()) {
      if (in.length() <= 64L << 20) {
        com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(in.readFully(0, (int) in.length()));
        if (root != null && root.has("class_name") && root.has("config")) {
          return "a Keras model architecture (a " + root.get("class_name").asText() + " config as model.to_json() or "
              + "a .keras's config.json write it; it holds no weights)";
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not parseable: described as plain JSON below
    }
    return "a JSON file";
  }

  private Resolved resolveProtobuf(Location file, List<String> notes) {
    String name = file.fileName();
    if (name.equals("saved_model.pb")) {
      notes.add("using the SavedModel directory " + file.parent());
      return new Resolved("savedmodel", file.parent(), notes);
    }
    if (name.endsWith(".meta")) {
      return new Resolved("meta", file.parent().resolve(name.substring(0, name.length() - 5)), notes);
    }
    return new Resolved("frozen", file, notes);
  }

  private Resolved resolveStateFile(Location stateFile, List<String> notes, int depth) {
    CheckpointStateFile state = CheckpointStateFile.read(storage, stateFile);
    Location latest = state.resolve(state.latest(), this::checkpointExists);
    if (!state.latest().equals(stateFile.parent().relativize(latest)) && !latest.toString().equals(state.latest())) {
      notes.add("the state file names " + state.latest() + "; using " + latest + " beside it");
    }
    if (!checkpointExists(latest)) {
      throw new WrongInputException(stateFile + " names " + state.latest() + " as the latest checkpoint, but there is "
          + "no " + latest.fileName() + ".index (nor a V1 file) in " + stateFile.parent() + "; found: "
          + describeCheckpointsIn(stateFile.parent()));
    }
    int count = state.all().size();
    notes.add("latest checkpoint of " + count + " listed in " + stateFile + ": " + latest.fileName());
    return resolve(latest, notes, depth + 1);
  }

  private boolean checkpointExists(Location prefix) {
    return storage.exists(BundleFiles.index(prefix)) || storage.exists(prefix)
        || !V1Files.shardsOf(storage, prefix).isEmpty();
  }

  private Resolved resolveDirectory(Location dir, List<String> notes, int depth) {
    if (storage.exists(dir.resolve("saved_model.pb")) || storage.exists(dir.resolve("saved_model.pbtxt"))) {
      return new Resolved("savedmodel", dir, notes);
    }
    Location stateFile = dir.resolve(CheckpointStateFile.NAME);
    if (storage.exists(stateFile)) {
      return resolveStateFile(stateFile, notes, depth);
    }
    List<FileEntry> files = storage.list(dir);
    TreeSet<String> versions = new TreeSet<>();
    List<Location> indexes = new ArrayList<>();
    TreeSet<String> v1Prefixes = new TreeSet<>();
    for (FileEntry f : files) {
      String rel = dir.relativize(f.location());
      if (rel.matches("\\d+/saved_model\\.pbt?x?t?")) {
        versions.add(rel.substring(0, rel.indexOf('/')));
      }
      if (!rel.contains("/") && rel.endsWith(".index")) {
        indexes.add(BundleFiles.prefixOfIndexFile(f.location()));
      }
      Location v1 = rel.contains("/") ? null : V1Files.prefixOfShard(f.location());
      if (v1 != null) {
        v1Prefixes.add(v1.fileName());
      }
    }
    if (indexes.isEmpty() && v1Prefixes.size() == 1) {
      notes.add("the only checkpoint in " + dir + ": V1 " + v1Prefixes.first());
      return new Resolved("v1", dir.resolve(v1Prefixes.first()), notes);
    }
    if (!versions.isEmpty()) {
      throw new WrongInputException(dir + " is a TF Serving base path holding SavedModel versions " + versions
          + ": name one version directory, e.g. " + dir.resolve(versions.last()));
    }
    if (indexes.size() == 1) {
      notes.add("the only checkpoint in " + dir + ": " + indexes.get(0).fileName());
      return new Resolved("v2", indexes.get(0), notes);
    }
    if (indexes.size() > 1) {
      throw new WrongInputException(dir + " holds " + indexes.size() + " checkpoints and no checkpoint state file: "
          + "name one of " + describeCheckpointsIn(dir));
    }
    if (storage.exists(dir.resolve("variables/variables.index"))) {
      throw new WrongInputException(dir + " has variables/ but no saved_model.pb: the SavedModel is incomplete");
    }
    throw new WrongInputException(dir + " holds no checkpoint, checkpoint state file or SavedModel");
  }

  private String describeCheckpointsIn(Location dir) {
    List<String> names = new ArrayList<>();
    for (String name : namesBelow(dir)) {
      if (name.endsWith(".index")) {
        names.add(name.substring(0, name.length() - 6));
      }
    }
    return names.isEmpty() ? "no checkpoints" : String.join(", ", names.subList(0, Math.min(10, names.size())))
        + (names.size() > 10 ? ", ..." : "");
  }

  /**
   * The first path segments below {@code dir}, for the "did you mean" hint: a shallow listing where the backend has
   * one (a local disk, where a full listing would walk the tree below, say, {@code /}), else the object store's
   * prefix listing. A hint only: when the listing fails (an unreadable directory, a file vanishing meanwhile), the
   * message goes without it.
   */
  private List<String> namesBelow(Location dir) {
    try {
      return io.tfgw.core.storage.ShallowListing.namesBelow(storage, dir);
    } catch (io.tfgw.core.storage.StorageException e) {
      return List.of();
    }
  }

  private LocationNotFoundException notFound(Location loc) {
    StringBuilder msg = new StringBuilder("Nothing at " + loc + " (no file, no checkpoint " + loc.fileName()
        + ".index, no directory)");
    if (!loc.isRoot()) {
      TreeSet<String> similar = new TreeSet<>();
      String base = loc.fileName();
      for (String first : namesBelow(loc.parent())) {
        if (first.startsWith(base) || (base.length() >= 4 && first.startsWith(base.substring(0, base.length() - 1)))) {
          String candidate = first.replaceAll("\\.(index|meta|data-\\d+-of-\\d+)$", "");
          similar.add(candidate);
        }
        if (similar.size() >= 5) {
          break;
        }
      }
      if (!similar.isEmpty()) {
        msg.append("; did you mean ").append(String.join(" or ", similar)).append('?');
      } else if (storage.isDirectory(loc.parent())) {
        String there = describeCheckpointsIn(loc.parent());
        if (!there.equals("no checkpoints")) {
          msg.append("; checkpoints in ").append(loc.parent()).append(": ").append(there);
        } else {
          msg.append("; check the path (tfgw ls ").append(loc.parent()).append(" lists what is there)");
        }
      } else if (!loc.parent().isRoot() && storage.exists(loc.parent())) {
        msg.append("; ").append(loc.parent()).append(" is a file, not a directory: name the file itself");
      } else if (!loc.parent().isRoot()) {
        msg.append("; ").append(loc.parent()).append(" does not exist either: check the path");
      }
    }
    return new LocationNotFoundException(loc, msg.toString());
  }
}
