package io.tfgw.converters.serving;

import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.inspect.InspectOptions;
import io.tfgw.converters.inspect.Inspector;
import io.tfgw.converters.manage.CheckpointCatalog;
import io.tfgw.converters.manage.CheckpointEntry;
import io.tfgw.converters.manage.CheckpointListing;
import io.tfgw.converters.manage.Copier;
import io.tfgw.converters.manage.CopyListener;
import io.tfgw.converters.manage.CopyResult;
import io.tfgw.converters.manage.Transfer;
import io.tfgw.converters.onnx.OnnxExporter;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.TfgwException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.ConditionalReads;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RequestCounts;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Brings a model's versions from any storage to a local directory a model server watches, so that the server never
 * sees a version that is not whole.
 *
 * <p>Each version is downloaded into a staging directory beside the version directories whose name starts with a
 * dot ({@code .tfgw-staging-7}: TF Serving and Triton load numeric directories only), every file is checked (the
 * CRC32C of the bytes read against the manifest {@code push} wrote and against the copy read back, then every
 * tensor of the SavedModel's variables against the checkpoint's own CRCs), converted if asked, and then the staging
 * directory is renamed to {@code 7} in one step. Nothing is cleaned up on failure on purpose: a run killed with
 * {@code kill -9} cannot clean up either, so every start removes what earlier runs staged, under a lock that keeps
 * two syncs off one directory.
 *
 * <p>The source is watched cheaply: one conditional GET of {@code BASE/.tfgw-versions.json} per poll (S3 answers 304
 * without a body while it is unchanged), falling back to listing the base when there is no manifest.
 *
 * <p>Old versions go only after every kept version is in place (and, with a server status URL, AVAILABLE there),
 * each by a rename out of sight followed by deletion.
 */
public final class ServingSync implements AutoCloseable {
  public static final String STAGING_PREFIX = ".tfgw-staging-";
  public static final String TRASH_PREFIX = ".tfgw-trash-";
  public static final String LOCK_FILE = ".tfgw-sync.lock";

  /** What one round found and did. */
  public record Round(boolean sourceChanged, List<SyncEvent> events, List<Long> served, int failures) {}

  /** Counters since the sync started, for {@code --json} stats. */
  public record Stats(long polls, long requests, double requestsPerHour, long published, long removed, long failures,
      double uptimeSeconds, List<Long> served) {}

  private final Storage storage;
  private final SyncOptions options;
  private final SyncListener listener;
  private final Path versionsDirectory;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final long startNanos = System.nanoTime();
  private final long requestsAtStart;

  private Optional<String> manifestVersion = Optional.empty();
  /** Whether SRC is a training directory whose checkpoints' steps are the versions (see checkpointVersions). */
  private boolean checkpointDirectory;
  private Map<Long, VersionManifest.ModelVersion> sourceVersions = Map.of();
  private long polls;
  private long ownRequests;
  private long published;
  private long removed;
  private long failures;

  public ServingSync(Storage storage, SyncOptions options, SyncListener listener) {
    this.storage = storage;
    this.options = options;
    this.listener = listener;
    if (options.destination().toString().contains("://") || options.destination().toString().contains("!/")) {
      throw new WrongInputException("The sync destination must be a local directory (a model server's base path), "
          + "not " + options.destination());
    }
    this.versionsDirectory = options.layout().versionsDirectory(options.destination().toAbsolutePath(), options.modelName());
    try {
      Files.createDirectories(versionsDirectory);
      lockChannel = FileChannel.open(versionsDirectory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      lock = tryLock(lockChannel);
    } catch (IOException e) {
      throw new StorageException("Cannot prepare " + versionsDirectory + ": " + e.getMessage(), e);
    }
    if (lock == null) {
      closeQuietly();
      throw new WrongInputException("Another tfgw sync is publishing to " + versionsDirectory + " (it holds "
          + versionsDirectory.resolve(LOCK_FILE) + "); run one sync per destination");
    }
    this.requestsAtStart = remoteRequests().orElse(0);
    cleanUpAfterEarlierRuns();
  }

  /** The lock, or null when another process (or another sync in this JVM) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null;
    }
  }

  /** The directory holding the numeric version directories. */
  public Path versionsDirectory() {
    return versionsDirectory;
  }

  /** Removes staging and trash directories that a killed or failed run left behind. */
  private void cleanUpAfterEarlierRuns() {
    for (Path p : children()) {
      String name = p.getFileName().toString();
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(TRASH_PREFIX)) {
        deleteTree(p);
        listener.event(new SyncEvent("cleaned", -1, name));
      }
    }
  }

  /**
   * Polls the source once and brings DST in line: publishes missing kept versions (newest first), then retires the
   * others. Failing versions are reported as events and tried again next round; a source that cannot be read at
   * all throws.
   */
  public Round syncOnce() {
    List<SyncEvent> events = new ArrayList<>();
    SyncListener recording = e -> {
      events.add(e);
      listener.event(e);
    };
    polls++;
    boolean changed = pollSource();
    TreeSet<Long> wanted = wantedVersions();
    TreeSet<Long> present = presentVersions();
    int failed = 0;
    for (long v : wanted.descendingSet()) {
      if (present.contains(v)) {
        continue;
      }
      try {
        publish(sourceVersions.get(v));
        present.add(v);
        published++;
        recording.event(new SyncEvent("published", v, versionsDirectory.resolve(Long.toString(v)).toString()));
      } catch (TfgwException | UncheckedIOException e) {
        failed++;
        failures++;
        recording.event(new SyncEvent("failed", v, e.getMessage()));
      }
    }
    if (failed == 0 && !wanted.isEmpty()) {
      retire(wanted, present, recording);
    }
    return new Round(changed, events, List.copyOf(presentVersions()), failed);
  }

  public Stats stats() {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    long requests = remoteRequests().isPresent() ? remoteRequests().getAsLong() - requestsAtStart : ownRequests;
    return new Stats(polls, requests, seconds > 0 ? requests * 3600.0 / seconds : 0, published, removed, failures,
        seconds, List.copyOf(presentVersions()));
  }

  private java.util.OptionalLong remoteRequests() {
    return storage.capability(RequestCounts.class, options.source())
        .map(c -> java.util.OptionalLong.of(c.requestsSent())).orElse(java.util.OptionalLong.empty());
  }

  /** Reads the manifest if it changed (or lists the base when there is none); true when the versions changed. */
  private boolean pollSource() {
    Location manifest = VersionManifest.locationIn(options.source());
    Optional<ConditionalReads> conditional = storage.capability(ConditionalReads.class, manifest);
    ConditionalReads.Read read;
    ownRequests++;
    if (conditional.isPresent()) {
      read = conditional.get().readIfChanged(manifest, manifestVersion);
    } else {
      read = storage.exists(manifest) ? ConditionalReads.Read.changed("", storage.inputFile(manifest).readAllBytes())
          : ConditionalReads.Read.absent();
    }
    Map<Long, VersionManifest.ModelVersion> before = sourceVersions;
    switch (read.state()) {
      case UNCHANGED -> {
        return false;
      }
      case CHANGED -> {
        manifestVersion = read.version().filter(v -> !v.isEmpty());
        Map<Long, VersionManifest.ModelVersion> m = new TreeMap<>();
        VersionManifest.parse(read.content(), manifest).versions().forEach(v -> m.put(v.version(), v));
        sourceVersions = m;
      }
      case ABSENT -> {
        manifestVersion = Optional.empty();
        ownRequests++;
        sourceVersions = listedVersions();
      }
    }
    return !sourceVersions.keySet().equals(before.keySet());
  }

  /**
   * The versions of a base without a manifest, from one listing: numeric directories that hold a
   * {@code saved_model.pb} ({@code push} writes it last), or a single file (one object appears whole: a
   * {@code .keras}, {@code .h5}, frozen {@code .pb} for {@code --to}).
   */
  private Map<Long, VersionManifest.ModelVersion> listedVersions() {
    Map<Long, List<VersionManifest.VersionFile>> byVersion = new TreeMap<>();
    for (FileEntry f : storage.list(options.source())) {
      String rel = options.source().relativize(f.location());
      int slash = rel.indexOf('/');
      if (slash > 0 && rel.substring(0, slash).matches("\\d{1,18}")) {
        byVersion.computeIfAbsent(Long.parseLong(rel.substring(0, slash)), k -> new ArrayList<>())
            .add(new VersionManifest.VersionFile(rel.substring(slash + 1), f.length(), OptionalInt.empty()));
      }
    }
    if (byVersion.isEmpty()) {
      return checkpointVersions();
    }
    checkpointDirectory = false;
    Map<Long, VersionManifest.ModelVersion> out = new TreeMap<>();
    byVersion.forEach((v, files) -> {
      boolean complete = files.stream().anyMatch(f -> f.path().equals("saved_model.pb") || f.path().equals("saved_model.pbtxt"))
          || (files.size() == 1 && !files.get(0).path().contains("/"))
          || holdsWholeCheckpointWithMeta(options.source().resolve(Long.toString(v)));
      if (complete) {
        out.put(v, new VersionManifest.ModelVersion(v, files));
      }
    });
    return out;
  }

  /**
   * A version directory holding a checkpoint and its {@code .meta} (uploaded by training, without {@code push}) is
   * whole once its index, every data shard its {@code -of-N} names, and the {@code .meta} are there.
   */
  private boolean holdsWholeCheckpointWithMeta(Location versionDir) {
    return new CheckpointCatalog(storage).list(versionDir).checkpoints().stream()
        .anyMatch(c -> c.complete() && hasMeta(c));
  }

  private static boolean hasMeta(CheckpointEntry c) {
    return c.files().stream().anyMatch(f -> f.location().path().endsWith(".meta"));
  }

  /**
   * A training directory as SRC ({@code model.ckpt-N} files and TF's {@code checkpoint} state file, no version
   * directories): each checkpoint's global step N is its version, so a server sees versions grow with training.
   * Only checkpoints up to the one the state file names as latest count: TF's Saver writes the state file after the
   * checkpoint's files, so those are whole. Each needs its {@code .meta} (the graph) and {@code --to}: a model
   * server loads no checkpoint.
   */
  private Map<Long, VersionManifest.ModelVersion> checkpointVersions() {
    CheckpointListing listing = new CheckpointCatalog(storage).list(options.source());
    Map<Long, VersionManifest.ModelVersion> out = new TreeMap<>();
    if (listing.checkpoints().isEmpty() || listing.latest() == null) {
      checkpointDirectory = false;
      return out; // an empty base (nothing pushed yet), or checkpoints still being written without a state file
    }
    checkpointDirectory = true;
    if (options.to().isEmpty()) {
      throw new WrongInputException(options.source() + " is a training directory (checkpoints and a checkpoint state "
          + "file), which no model server loads; sync it with --to savedmodel --outputs NAME (each checkpoint's step "
          + "becomes a version) or push SavedModels into numbered version directories");
    }
    CheckpointEntry latest = listing.checkpoints().stream().filter(c -> c.prefix().equals(listing.latest()))
        .findFirst().orElseThrow();
    if (latest.step() == null) {
      throw new WrongInputException(options.source() + "'s latest checkpoint " + latest.name() + " has no global step "
          + "(a -N suffix), which tfgw sync uses as the version number; save checkpoints with global_step");
    }
    for (CheckpointEntry c : listing.checkpoints()) {
      if (c.step() != null && c.step() <= latest.step() && c.complete() && hasMeta(c)) {
        List<VersionManifest.VersionFile> files = c.files().stream()
            .map(f -> new VersionManifest.VersionFile(options.source().relativize(f.location()), f.length(),
                OptionalInt.empty())).toList();
        out.put(c.step(), new VersionManifest.ModelVersion(c.step(), files));
      }
    }
    if (out.isEmpty()) {
      throw new WrongInputException(options.source() + " has no checkpoint with a global step and its .meta (the "
          + "graph a SavedModel needs); save checkpoints with tf.compat.v1.train.Saver (it writes the .meta)");
    }
    return out;
  }

  private TreeSet<Long> wantedVersions() {
    TreeSet<Long> all = new TreeSet<>(sourceVersions.keySet());
    TreeSet<Long> wanted = new TreeSet<>();
    for (Long v : all.descendingSet()) {
      if (wanted.size() == options.keep()) {
        break;
      }
      wanted.add(v);
    }
    options.pinned().stream().filter(all::contains).forEach(wanted::add);
    return wanted;
  }

  private TreeSet<Long> presentVersions() {
    TreeSet<Long> present = new TreeSet<>();
    for (Path p : children()) {
      String name = p.getFileName().toString();
      if (name.matches("\\d{1,18}") && Files.isDirectory(p)) {
        present.add(Long.parseLong(name));
      }
    }
    return present;
  }

  private List<Path> children() {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(versionsDirectory)) {
      ds.forEach(out::add);
    } catch (IOException e) {
      throw new StorageException("Cannot list " + versionsDirectory + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Downloads, checks, converts and then renames one version into place. */
  private void publish(VersionManifest.ModelVersion version) {
    long v = version.version();
    Path staging = versionsDirectory.resolve(STAGING_PREFIX + v);
    Path download = versionsDirectory.resolve(STAGING_PREFIX + v + ".download");
    deleteTree(staging);
    deleteTree(download);
    boolean onnx = options.to().filter("onnx"::equals).isPresent();
    String inner = options.layout().modelPathInVersion(onnx);
    boolean converting = options.to().isPresent();
    Path landing = converting ? download : inner.isEmpty() ? staging : staging.resolve(inner);
    Location sourceDir = checkpointDirectory ? options.source() : options.source().resolve(Long.toString(v));
    List<Transfer> plan = new ArrayList<>();
    for (VersionManifest.VersionFile f : version.files()) {
      plan.add(new Transfer(sourceDir.resolve(f.path()), Location.local(landing.resolve(f.path())), f.bytes()));
    }
    if (plan.isEmpty()) {
      throw new CorruptInputException(sourceDir + " has no files listed; push it again");
    }
    CopyResult copied = new Copier(storage, options.parallelism()).copy(plan, CopyListener.NONE);
    ownRequests += 2L * plan.size();
    for (int i = 0; i < plan.size(); i++) {
      OptionalInt expected = version.files().get(i).crc32c();
      Integer actual = copied.crc32c().get(plan.get(i).destination());
      if (expected.isPresent() && (actual == null || actual != expected.getAsInt())) {
        throw new CorruptInputException(String.format("%s is not what was pushed (crc32c %08x, the manifest says %08x): "
            + "it changed after the push or the store corrupted it; version %d is not published", plan.get(i).source(),
            actual == null ? 0 : actual, expected.getAsInt(), v));
      }
    }
    Path model = modelIn(landing);
    checkTensors(model);
    if (converting) {
      convert(model, staging, inner, v);
    }
    if (options.layout() == Layout.TRITON) {
      // the signature of what is published: a converted version's source (a checkpoint's .meta) may have none
      TritonConfig.writeIfAbsent(storage, versionsDirectory, options.modelName(), staging.resolve(inner), onnx);
    }
    deleteTree(download);
    try {
      Files.move(staging, versionsDirectory.resolve(Long.toString(v)), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new StorageException("Cannot publish version " + v + " in " + versionsDirectory + ": the file system cannot "
          + "rename a directory atomically", e);
    } catch (IOException e) {
      throw new StorageException("Cannot publish version " + v + " in " + versionsDirectory + ": " + e.getMessage(), e);
    }
  }

  /**
   * The downloaded model: the directory (a SavedModel), its single file, or a checkpoint's {@code .meta} (which
   * names the graph; its checkpoint is found by the same prefix).
   */
  private static Path modelIn(Path landing) {
    if (Files.exists(landing.resolve("saved_model.pb")) || Files.exists(landing.resolve("saved_model.pbtxt"))) {
      return landing;
    }
    try (Stream<Path> files = Files.list(landing)) {
      List<Path> all = files.toList();
      List<Path> metas = all.stream().filter(p -> p.getFileName().toString().endsWith(".meta")).toList();
      if (metas.size() == 1) {
        return metas.get(0);
      }
      return all.size() == 1 && Files.isRegularFile(all.get(0)) ? all.get(0) : landing;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads every tensor of the model's variables, which checks each against the CRC the checkpoint stores (a
   * SavedModel's {@code variables/} is a V2 checkpoint): bytes that changed in the store since training are caught
   * even where the manifest has no CRC.
   */
  private void checkTensors(Path model) {
    Path variables = model.resolve("variables/variables.index");
    if (Files.isDirectory(model) && Files.exists(variables)) {
      new Inspector(storage).inspect(Location.local(model.resolve("variables/variables")),
          InspectOptions.defaults().withHash(true));
    }
  }

  private void convert(Path model, Path staging, String inner, long v) {
    Location from = Location.local(model);
    Location to = Location.local(inner.isEmpty() ? staging : staging.resolve(inner));
    // --inputs/--outputs name the signature of graphs that have none (a checkpoint's .meta, a frozen .pb); Keras
    // files and SavedModels pushed beside them in the same base keep their own
    String file = model.getFileName().toString();
    boolean signatureless = Files.isRegularFile(model) && (file.endsWith(".meta") || file.endsWith(".pb"));
    List<String> inputs = signatureless ? options.inputs() : List.of();
    List<String> outputs = signatureless ? options.outputs() : List.of();
    if (options.to().get().equals("onnx")) {
      new OnnxExporter(storage).export(from, to, OnnxExporter.Options.defaults().withInputs(inputs).withOutputs(outputs));
      return;
    }
    if (Files.exists(model.resolve("saved_model.pb"))) {
      copyTree(model, inner.isEmpty() ? staging : staging.resolve(inner));
    } else {
      new ModelConverter(storage).toSavedModel(from, to, inputs, outputs, null, null, false, 0);
    }
    if (options.verify()) {
      try (var a = io.tfgw.converters.verify.VerifiableModels.load(storage, from, null);
          var b = io.tfgw.converters.verify.VerifiableModels.load(storage, to, null)) {
        var iface = io.tfgw.converters.verify.Verifier.interfaceOf(a, b, null);
        var report = io.tfgw.converters.verify.Verifier.verify(a, b, null,
            io.tfgw.converters.verify.Verifier.samples(iface, 3, 1), List.of());
        if (!report.identical()) {
          throw new VersionNotVerifiedException("Version " + v + " converted to a SavedModel does not compute what "
              + "the pushed model computes (" + report.outputs().stream().filter(c -> !c.identical())
              .map(c -> c.output() + ": max abs diff " + c.maxAbsDiff()).toList() + "); it is not published");
        }
      }
    }
  }

  /** Removes versions no longer wanted, once the wanted ones are in place (and AVAILABLE, with a status URL). */
  private void retire(TreeSet<Long> wanted, TreeSet<Long> present, SyncListener events) {
    List<Long> old = present.stream().filter(v -> !wanted.contains(v)).toList();
    if (old.isEmpty()) {
      return;
    }
    if (options.serverStatus().isPresent()) {
      Optional<String> notReady = ServerStatus.notAvailable(options.serverStatus().get(), wanted);
      if (notReady.isPresent()) {
        events.event(new SyncEvent("retention_waiting", wanted.last(), notReady.get()));
        return;
      }
    }
    for (long v : old) {
      Path dir = versionsDirectory.resolve(Long.toString(v));
      Path trash = versionsDirectory.resolve(TRASH_PREFIX + v);
      try {
        deleteTree(trash);
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new StorageException("Cannot remove old version " + dir + ": " + e.getMessage(), e);
      }
      deleteTree(trash);
      removed++;
      events.event(new SyncEvent("removed", v, dir.toString()));
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.sorted().toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.move(p, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new StorageException("Cannot delete " + root + ": " + e.getMessage(), e);
    }
  }

  private void closeQuietly() {
    try {
      lockChannel.close();
    } catch (IOException ignored) {
      // releasing the lock; nothing else to do
    }
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
