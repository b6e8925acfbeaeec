package io.tfgw.converters.convert;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.meta.SaverRewriter;
import io.tfgw.converters.resolve.CheckpointStateFile;
import io.tfgw.converters.resolve.FileKind;
import io.tfgw.converters.resolve.FileSniffer;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.v1.V1Writer;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.converters.v2.ShardPlan;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.CheckpointWriter;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.CheckpointState;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SaverDef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code tfgw convert --to v1|v2}: checkpoint to checkpoint, tensor by tensor, streaming from the source into the
 * destination's files, with filters, renames and the moving-average swap applied on the way. Every check that can
 * fail (formats, dtypes, name collisions, a {@code .meta} that would no longer match) runs before the first byte is
 * written; outputs are committed atomically, the {@code checkpoint} state file last.
 */
public final class CheckpointConverter {
  private final Storage storage;

  /** A converter reading and writing through {@code storage}. */
  public CheckpointConverter(Storage storage) {
    this.storage = storage;
  }

  /** Converts {@code source} into {@code destination} as {@code options} say; see {@link #convert(Location, Location, ConvertOptions, ConvertListener)}. */
  public ConvertResult convert(Location source, Location destination, ConvertOptions options) {
    return convert(source, destination, options, ConvertListener.NONE);
  }

  /**
   * Converts the checkpoint at {@code source} (a prefix, any of its files, or a directory with a {@code checkpoint}
   * state file) to {@code options.format()} at {@code destination}, telling {@code listener} how it advances.
   */
  public ConvertResult convert(Location source, Location destination, ConvertOptions options, ConvertListener listener) {
    if (!options.format().equals("v1") && !options.format().equals("v2")) {
      throw new IllegalArgumentException("CheckpointConverter writes v1 or v2, not " + options.format());
    }
    List<String> notes = new ArrayList<>();
    Resolver resolver = new Resolver(storage);
    Resolved resolved = resolver.resolve(source);
    notes.addAll(resolved.notes());
    List<Resolved> sources = new ArrayList<>();
    Location stateFile = stateFileOf(source);
    if (options.all()) {
      if (stateFile == null) {
        throw new WrongInputException("--all needs a directory with a checkpoint state file (or the state file itself); "
            + source + " is neither");
      }
      CheckpointStateFile state = CheckpointStateFile.read(storage, stateFile);
      for (String path : state.all()) {
        Location prefix = state.resolve(path, p -> storage.exists(BundleFiles.index(p)) || storage.exists(p));
        Resolved r = resolver.resolve(prefix);
        sources.add(r);
      }
      notes.add("converting all " + sources.size() + " checkpoints listed in " + stateFile);
    } else {
      sources.add(resolved);
    }
    for (Resolved r : sources) {
      if (!Set.of("v1", "v2", "meta", "savedmodel", "hdf5", "safetensors", "keras").contains(r.format())) {
        throw new UnsupportedInputException(r.target() + " is a " + r.format() + "; --to " + options.format()
            + " converts checkpoints (V1 or V2)");
      }
    }
    boolean intoDirectory = options.destinationIsDirectory() || sources.size() > 1;
    List<Location> destinations = new ArrayList<>();
    for (Resolved r : sources) {
      // a SavedModel's variables are "variables/variables"; as a checkpoint they are called model.ckpt
      String name = r.format().equals("savedmodel") ? "model.ckpt"
          : r.format().equals("hdf5") || r.format().equals("safetensors") || r.format().equals("keras")
          ? r.target().fileName().replaceFirst("\\.[^.]*$", "") : r.target().fileName();
      destinations.add(intoDirectory ? destination.resolve(name) : destination);
    }

    List<ConvertResult.Converted> done = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      done.add(convertOne(sources.get(i), destinations.get(i), options, listener));
      Resolved r = sources.get(i);
      if (r.format().equals("savedmodel") && options.carryMeta()) {
        // a checkpoint has no assets/: the .meta's init finds each asset by its name next to the .meta
        List<String> assets = storage.list(r.target().resolve("assets")).stream()
            .map(f -> f.location().fileName()).toList();
        if (!assets.isEmpty()) {
          notes.add("the SavedModel's assets (" + String.join(", ", assets) + ") are not part of a checkpoint: to "
              + "run " + destinations.get(i).appendToName(".meta").fileName() + ", copy them from "
              + r.target().resolve("assets") + " next to it");
        }
      }
    }
    Location writtenState = writeState(destinations, destinations.get(destinations.size() - 1));
    return new ConvertResult(done, writtenState, notes);
  }

  /** The state file the user pointed at, directly or as its directory; null when none. */
  private Location stateFileOf(Location source) {
    if (storage.exists(source)) {
      // a file (a V1 checkpoint is one) has nothing below it: asking for source/checkpoint would be asking a store
      // that keeps objects as files for a path through a file
      return source.fileName().equals(CheckpointStateFile.NAME)
          && FileSniffer.sniff(storage, source) == FileKind.CHECKPOINT_STATE ? source : null;
    }
    Location inDir = source.resolve(CheckpointStateFile.NAME);
    return storage.exists(inDir) ? inDir : null;
  }

  private ConvertResult.Converted convertOne(Resolved source, Location dest, ConvertOptions options,
      ConvertListener listener) {
    Location prefix = source.target();
    try (CheckpointReader reader = Checkpoints.open(storage, source)) {
      List<NamePlan.Entry> plan = options.names().apply(reader.tensors());
      boolean v1 = options.format().equals("v1");
      if (v1) {
        List<String> bad = plan.stream().filter(e -> !V1Writer.canWrite(e.source().dtype()))
            .map(e -> e.source().name() + " (" + e.source().dtype() + ")").toList();
        if (!bad.isEmpty()) {
          throw new UnsupportedInputException("V1 checkpoints cannot hold " + bad.size() + " of the tensors of " + prefix
              + ": " + String.join(", ", bad.subList(0, Math.min(5, bad.size()))) + (bad.size() > 5 ? ", ..." : "")
              + ". Convert to V2 (--to v2), or leave them out with --exclude.");
        }
      }
      MetaGraphDef meta = !options.carryMeta() ? null
          : source.format().equals("savedmodel") ? savedModelMeta(source, plan, reader.tensors())
          : readMeta(prefix, options, plan, reader.tensors());
      if (sameFiles(prefix, dest)) {
        throw new WrongInputException("The destination " + dest + " is the source checkpoint itself; choose another prefix");
      }

      List<Location> files = new ArrayList<>();
      long bytes = 0;
      listener.started(plan.size(), plan.stream().mapToLong(e -> byteSize(e.source())).sum());
      if (v1) {
        try (V1Writer w = new V1Writer(storage, dest)) {
          bytes = addAll(reader, plan, w, options, null, listener);
          w.commit();
        }
        files.add(dest);
      } else {
        ShardPlan shards = planShards(plan, options);
        try (BundleWriter w = new BundleWriter(storage, dest, shards.numShards(), 1)) {
          bytes = addAll(reader, plan, w, options, shards, listener);
          w.commit();
        }
        for (int s = 0; s < shards.numShards(); s++) {
          files.add(BundleFiles.data(dest, s, shards.numShards()));
        }
        files.add(BundleFiles.index(dest));
      }
      if (meta != null) {
        SaverDef.CheckpointFormatVersion version = v1 ? SaverDef.CheckpointFormatVersion.V1 : SaverDef.CheckpointFormatVersion.V2;
        Location metaOut = dest.appendToName(".meta");
        storage.outputFile(metaOut).write(SaverRewriter.forFormat(meta, version).toByteArray());
        files.add(metaOut);
      }
      return new ConvertResult.Converted(prefix, source.format().equals("meta") ? reader.format() : source.format(),
          dest, options.format(), plan.size(), bytes, meta != null, files);
    }
  }

  private static boolean sameFiles(Location a, Location b) {
    return a.equals(b);
  }

  private ShardPlan planShards(List<NamePlan.Entry> plan, ConvertOptions options) {
    if (options.maxShardBytes() <= 0) {
      return ShardPlan.single(plan.size());
    }
    long[] sizes = new long[plan.size()];
    for (int i = 0; i < sizes.length; i++) {
      TensorInfo t = plan.get(i).source();
      sizes[i] = t.dtype().isFixedSize() ? t.shape().byteSize(t.dtype()) : 0;
    }
    return ShardPlan.bySize(sizes, options.maxShardBytes());
  }

  /** A tensor's in-memory size; 0 for variable-size dtypes (strings). */
  private static long byteSize(TensorInfo t) {
    return t.dtype().isFixedSize() ? t.shape().byteSize(t.dtype()) : 0;
  }

  private static long addAll(CheckpointReader reader, List<NamePlan.Entry> plan, CheckpointWriter writer,
      ConvertOptions options, ShardPlan shards, ConvertListener listener) {
    long bytes = 0;
    for (int i = 0; i < plan.size(); i++) {
      NamePlan.Entry e = plan.get(i);
      TensorInfo src = e.source();
      int shard = shards == null ? 0 : shards.shardOf()[i];
      if (src.isPartitioned() && !options.mergePartitions()) {
        for (TensorSlice s : src.slices()) {
          if (writer instanceof BundleWriter bw) {
            bw.addSlice(e.name(), src.shape(), s, reader.readSlice(src.name(), s), shard);
          } else {
            writer.addSlice(e.name(), src.shape(), s, reader.readSlice(src.name(), s));
          }
        }
      } else if (writer instanceof BundleWriter bw) {
        bw.add(e.name(), reader.read(src.name()), shard);
      } else {
        writer.add(e.name(), reader.read(src.name()));
      }
      bytes += byteSize(src);
      listener.tensorDone(e.name(), byteSize(src));
    }
    return bytes;
  }

  /**
   * The source's {@code .meta}, when there is one and it still describes the result: a graph restores its
   * variables by name, so after renames, filters or the EMA swap it would no longer match the checkpoint.
   */
  private MetaGraphDef readMeta(Location prefix, ConvertOptions options, List<NamePlan.Entry> plan, List<TensorInfo> all) {
    Location metaFile = prefix.appendToName(".meta");
    if (!storage.exists(metaFile)) {
      return null;
    }
    requireUnchanged(metaFile, plan, all);
    try {
      return MetaGraphDef.parseFrom(storage.inputFile(metaFile).readAllBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(metaFile + " is not a valid MetaGraphDef: " + e.getMessage()
          + "; add --no-meta to convert only the checkpoint");
    }
  }

  /** The serving MetaGraph of a SavedModel, as the .meta of its variables turned checkpoint. */
  private MetaGraphDef savedModelMeta(Resolved source, List<NamePlan.Entry> plan, List<TensorInfo> all) {
    requireUnchanged(source.target().resolve("saved_model.pb"), plan, all);
    return io.tfgw.converters.graph.GraphSource.load(storage, source, null).meta();
  }

  private static void requireUnchanged(Location graphFile, List<NamePlan.Entry> plan, List<TensorInfo> all) {
    boolean unchanged = plan.size() == all.size() && plan.stream().allMatch(e -> e.name().equals(e.source().name()));
    if (!unchanged) {
      throw new WrongInputException(graphFile.fileName() + " restores variables by their old names, so it would not "
          + "match a checkpoint with renamed, filtered or swapped tensors. Add --no-meta to convert only the checkpoint "
          + "(and build the graph anew in your code).");
    }
  }

  /**
   * Writes (or updates) the {@code checkpoint} state file beside the destination: relative paths, the converted
   * checkpoints added to those already listed there that still exist, the latest converted one as latest.
   */
  private Location writeState(List<Location> destinations, Location latest) {
    Location stateFile = latest.parent().resolve(CheckpointStateFile.NAME);
    // read, merge, write only if nobody changed it meanwhile (a prune, a training job's save): else merge again
    for (int attempt = 1; ; attempt++) {
      java.util.Optional<String> version = CheckpointStateFile.version(storage, stateFile);
      CheckpointState state = mergedState(destinations, latest, stateFile);
      try {
        CheckpointStateFile.writeIf(storage, stateFile, version, state);
        return stateFile;
      } catch (io.tfgw.core.storage.ConcurrentWriteException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  private CheckpointState mergedState(List<Location> destinations, Location latest, Location stateFile) {
    Location dir = latest.parent();
    Set<String> paths = new LinkedHashSet<>();
    if (storage.exists(stateFile)) {
      try {
        CheckpointStateFile existing = CheckpointStateFile.read(storage, stateFile);
        for (String p : existing.all()) {
          Location loc = existing.resolve(p, x -> storage.exists(BundleFiles.index(x)) || storage.exists(x));
          String rel = dir.relativize(loc);
          if (rel != null && (storage.exists(BundleFiles.index(loc)) || storage.exists(loc))) {
            paths.add(rel);
          }
        }
      } catch (CorruptInputException e) {
        // an unreadable state file is replaced by a correct one
      }
    }
    for (Location d : destinations) {
      if (d.parent().equals(dir)) {
        paths.remove(d.fileName());
        paths.add(d.fileName());
      }
    }
    paths.remove(latest.fileName());
    paths.add(latest.fileName());
    CheckpointState.Builder state = CheckpointState.newBuilder().setModelCheckpointPath(latest.fileName());
    state.addAllAllModelCheckpointPaths(paths);
    return state.build();
  }
}
