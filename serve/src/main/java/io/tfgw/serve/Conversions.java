package io.tfgw.serve;

import io.tfgw.converters.convert.CheckpointConverter;
import io.tfgw.converters.convert.ConvertListener;
import io.tfgw.converters.convert.ConvertOptions;
import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.convert.NamePlan;
import io.tfgw.converters.convert.TensorFileConverter;
import io.tfgw.converters.hdf5.Hdf5Writer;
import io.tfgw.converters.onnx.OnnxExporter;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code GET /api/convert/{path}?to=FORMAT}: the model at {@code path} converted as {@code tfgw convert} converts
 * it (same code, default options), streamed as the file it is, or as a tar when the result is a directory (a
 * SavedModel, a checkpoint's files). Results are cached under a content key (the format and every source file's
 * name and ETag), so a second request, or the same request to another instance sharing the cache directory, is a
 * plain file read. At most {@code maxConversions} run at once; more get 503 with {@code Retry-After}.
 */
final class Conversions {
  /** The formats, and the name the result gets in the cache (a directory for savedmodel, v1, v2). */
  static final Map<String, String> OUTPUT_NAMES = new LinkedHashMap<>();

  static {
    OUTPUT_NAMES.put("safetensors", "model.safetensors");
    OUTPUT_NAMES.put("onnx", "model.onnx");
    OUTPUT_NAMES.put("savedmodel", "saved_model");
    OUTPUT_NAMES.put("frozen", "frozen_graph.pb");
    OUTPUT_NAMES.put("keras", "model.weights.h5");
    OUTPUT_NAMES.put("hdf5", "model.h5");
    OUTPUT_NAMES.put("v2", "model.ckpt");
    OUTPUT_NAMES.put("v1", "model.ckpt");
  }

  /** A conversion in progress, for the page. */
  record Running(String source, String to, long startedMillis, AtomicLong tensorsDone, AtomicLong tensorsTotal) {}

  private final StorageRouter storage;
  private final RootGuard guard;
  private final ConversionCache cache;
  private final Semaphore slots;
  private final int maxConversions;
  private final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  Conversions(StorageRouter storage, RootGuard guard, ConversionCache cache, int maxConversions) {
    this.storage = storage;
    this.guard = guard;
    this.cache = cache;
    this.maxConversions = maxConversions;
    this.slots = new Semaphore(maxConversions);
  }

  ConversionCache cache() {
    return cache;
  }

  List<Running> running() {
    return List.copyOf(running.values());
  }

  void handle(Exchange ex, List<String> path) throws IOException {
    String to = ex.query("to");
    if (to == null || !OUTPUT_NAMES.containsKey(to)) {
      throw HttpError.badRequest("Give ?to= one of " + String.join(", ", OUTPUT_NAMES.keySet()));
    }
    Location source = guard.resolve(path);
    String key = contentKey(source, to);
    String base = path.isEmpty() ? "root" : path.get(path.size() - 1);
    // a lost race with another instance's eviction (found, then gone before opened) converts again, once
    for (int attempt = 0; ; attempt++) {
      ConversionCache.Lease lease = cache.open(key, OUTPUT_NAMES.get(to));
      String state = "hit";
      if (lease == null) {
        lease = convert(source, String.join("/", path), to, key);
        state = lease.cached ? "miss" : "not-cached (" + ConversionCache.sizeOf(lease.dir) + " bytes > --cache-max-size "
            + cache.maxBytes() + ")";
      }
      try (ConversionCache.Lease held = lease) {
        List<OpenFile> files;
        try {
          files = openAll(held.dir.resolve(OUTPUT_NAMES.get(to)));
        } catch (java.nio.file.NoSuchFileException evicted) {
          if (attempt == 0) {
            continue;
          }
          throw evicted;
        }
        ex.setHeader("X-Tfgw-Cache", state.startsWith("not") ? "not-cached" : state);
        ex.note("cache " + state);
        try {
          send(ex, to, key, base, held.dir.resolve(OUTPUT_NAMES.get(to)), files);
        } finally {
          for (OpenFile f : files) {
            f.channel().close();
          }
        }
        return;
      }
    }
  }

  /** A result file opened before the response starts: its bytes stay readable even if it is unlinked meanwhile. */
  private record OpenFile(String name, java.nio.channels.FileChannel channel, long size, long modifiedMillis) {}

  private static List<OpenFile> openAll(Path result) throws IOException {
    List<OpenFile> out = new ArrayList<>();
    try {
      if (Files.isRegularFile(result)) {
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(result);
        out.add(new OpenFile(result.getFileName().toString(), ch, ch.size(), 0));
        return out;
      }
      if (!Files.isDirectory(result)) {
        throw new java.nio.file.NoSuchFileException(result.toString());
      }
      List<Path> paths;
      try (Stream<Path> walk = Files.walk(result)) {
        paths = walk.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
      }
      for (Path f : paths) {
        long modified = Files.getLastModifiedTime(f).toMillis();
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f);
        // name, size and time only: no owner, no platform attributes in the tar headers
        out.add(new OpenFile(result.getFileName() + "/" + result.relativize(f).toString().replace('\\', '/'), ch,
            ch.size(), modified));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      for (OpenFile f : out) {
        f.channel().close();
      }
      if (e instanceof java.io.UncheckedIOException u && u.getCause() instanceof java.nio.file.NoSuchFileException n) {
        throw n; // Files.walk met an entry being evicted
      }
      throw e;
    }
  }

  private void send(Exchange ex, String to, String key, String base, Path result, List<OpenFile> files)
      throws IOException {
    if (files.size() == 1 && !files.get(0).name().contains("/")) { // a file result; a directory's names have a "/"
      ex.setHeader("Content-Disposition", "attachment; filename=\"" + safeFileName(base) + "-"
          + OUTPUT_NAMES.get(to) + "\"");
      ex.send(new OpenFileBlob(files.get(0), "\"" + key + "\""));
      return;
    }
    ex.setHeader("Content-Disposition", "attachment; filename=\"" + safeFileName(base) + "-" + to + ".tar\"");
    ex.setHeader("ETag", "\"" + key + "\"");
    String inm = ex.header(org.eclipse.jetty.http.HttpHeader.IF_NONE_MATCH);
    if (inm != null && inm.contains(key)) {
      ex.response.setStatus(304);
      return;
    }
    if (ex.isHead()) {
      ex.bytes(200, "application/x-tar", new byte[0]);
      return;
    }
    try (OutputStream out = ex.stream(200, "application/x-tar")) {
      tar(files, out);
    }
  }

  private static String safeFileName(String s) {
    return s.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** Format plus every source file's path and ETag: a new save (new bytes, new time or checksum) is a new key. */
  private String contentKey(Location source, String to) {
    List<FileEntry> files = new ArrayList<>();
    if (storage.exists(source)) {
      files.add(new FileEntry(source, storage.inputFile(source).length()));
    }
    Location dir = source.parent();
    for (FileEntry e : guard.list(source)) {
      files.add(e);
    }
    if (!source.isRoot()) {
      for (FileEntry e : guard.list(dir)) {
        // a checkpoint prefix: model.ckpt-9.index, .data-*, .meta, and the state file beside it
        if (e.location().parent().equals(dir) && !e.location().equals(source)
            && (e.location().fileName().startsWith(source.fileName() + ".") || e.location().fileName().equals("checkpoint"))) {
          files.add(e);
        }
      }
    }
    if (files.isEmpty()) {
      throw HttpError.notFound("Nothing at /" + guard.relative(source));
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("tfgw-serve-convert-1\0" + to + "\0").getBytes(StandardCharsets.UTF_8));
      for (FileEntry e : files) {
        sha.update((guard.relative(e.location()) + "\0" + StoredBlob.etagOf(storage, e.location(), e.length()) + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 20);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private ConversionCache.Lease convert(Location source, String shown, String to, String key) throws IOException {
    Object lock = keyLocks.computeIfAbsent(key, k -> new Object());
    try {
      return convertOnce(lock, source, shown, to, key);
    } finally {
      keyLocks.remove(key, lock); // bounded memory; a request racing past this converts again, the move keeps one
    }
  }

  private ConversionCache.Lease convertOnce(Object lock, Location source, String shown, String to, String key)
      throws IOException {
    synchronized (lock) { // the same model asked twice at once is converted once
      ConversionCache.Lease done = cache.open(key, OUTPUT_NAMES.get(to));
      if (done != null) {
        return done;
      }
      if (!slots.tryAcquire()) {
        throw new HttpError(503, "TooManyConversions", maxConversions + " conversion"
            + (maxConversions == 1 ? " is" : "s are") + " running (--max-conversions); try again shortly");
      }
      Running r = new Running(shown, to, System.currentTimeMillis(), new AtomicLong(), new AtomicLong());
      running.put(key, r);
      Path work = Files.createDirectories(cache.directory()).resolve(key + ".tmp-" + java.util.UUID.randomUUID());
      boolean handedOver = false;
      try {
        Files.createDirectories(work);
        Location out = Location.local(work.resolve(OUTPUT_NAMES.get(to)).toAbsolutePath());
        run(source, out, to, r);
        storage.commit();
        ConversionCache.Lease lease = cache.admit(key, work, OUTPUT_NAMES.get(to));
        handedOver = !lease.cached; // an uncached result is the lease's to delete once streamed
        return lease;
      } finally {
        running.remove(key);
        slots.release();
        if (!handedOver) {
          ConversionCache.deleteTree(work); // gone already when it was moved into the cache
        }
      }
    }
  }

  private void run(Location source, Location out, String to, Running progress) {
    switch (to) {
      case "safetensors" -> new TensorFileConverter(storage).toSafetensors(source, out, new NamePlan());
      // tfgw convert --to hdf5's default: Keras's save_weights layout; "keras" names the same file for Keras users
      case "hdf5", "keras" -> new TensorFileConverter(storage).toHdf5(source, out, new NamePlan(),
          Hdf5Writer.Layout.KERAS);
      case "onnx" -> new OnnxExporter(storage).export(source, out, OnnxExporter.Options.defaults());
      case "frozen" -> new ModelConverter(storage).toFrozen(source, out, List.of(), null, null);
      case "savedmodel" -> new ModelConverter(storage).toSavedModel(source, out, List.of(), List.of(), null, null,
          false, 0);
      default -> {
        // a checkpoint: out is a directory, the files keep the source's prefix name as tfgw convert DIR/ does
        new CheckpointConverter(storage).convert(source, out, ConvertOptions.to(to).withDestinationIsDirectory(true),
            new ConvertListener() {
              @Override
              public void started(int tensors, long bytes) {
                progress.tensorsTotal().addAndGet(tensors);
              }

              @Override
              public void tensorDone(String name, long bytes) {
                progress.tensorsDone().incrementAndGet();
              }
            });
      }
    }
  }

  private static void tar(List<OpenFile> files, OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    for (OpenFile f : files) {
      TarArchiveEntry e = new TarArchiveEntry(f.name());
      e.setSize(f.size());
      e.setModTime(f.modifiedMillis());
      tar.putArchiveEntry(e);
      copy(f, 0, f.size(), tar);
      tar.closeArchiveEntry();
    }
    tar.finish();
  }

  private static void copy(OpenFile f, long position, long count, OutputStream out) throws IOException {
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(1 << 16);
    long at = position;
    long end = position + count;
    while (at < end) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), end - at));
      int n = f.channel().read(buffer, at);
      if (n < 0) {
        throw new IOException(f.name() + " ended early");
      }
      out.write(buffer.array(), 0, n);
      at += n;
    }
  }

  /** A result file, open since before the response started; its key is its strong ETag. */
  private record OpenFileBlob(OpenFile file, String etag) implements Blob {
    @Override
    public long length() {
      return file.size();
    }

    @Override
    public String contentType() {
      return "application/octet-stream";
    }

    @Override
    public void copy(long position, long count, OutputStream out) throws IOException {
      Conversions.copy(file, position, count, out);
    }
  }
}
