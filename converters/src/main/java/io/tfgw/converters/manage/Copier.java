package io.tfgw.converters.manage;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StoredChecksums;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

/**
 * Copies files between any two locations of a {@link Storage} (local, S3, archives, ...), several at a time, and
 * checks each copy: the CRC32C of the bytes read from the source must equal the CRC32C the destination store
 * computed on arrival ({@link StoredChecksums}) or, where the store keeps none, the CRC32C of the destination read
 * back. A copy that does not match is deleted and reported.
 *
 * <p>Each file appears atomically at its destination. A copy of several files is not one transaction (object
 * stores have none), except into an archive, which appears when the router commits.
 */
public final class Copier {
  private static final int BUFFER = 1 << 20;

  private final Storage storage;
  private final int parallelism;

  public Copier(Storage storage, int parallelism) {
    this.storage = storage;
    this.parallelism = Math.max(1, parallelism);
  }

  /**
   * What {@code cp SOURCE DESTINATION} copies. SOURCE is a file, a directory (with {@code recursive}; its files
   * keep their relative paths under DESTINATION), or a prefix such as a checkpoint's {@code model.ckpt-100}
   * (every file named {@code model.ckpt-100.*}). DESTINATION is taken as a directory when
   * {@code destinationIsDirectory} (the user wrote a trailing {@code /}) or it is an existing local directory;
   * otherwise it is the new name (for a prefix: the new prefix).
   */
  public List<Transfer> plan(Location source, Location destination, boolean destinationIsDirectory, boolean recursive) {
    boolean intoDirectory = destinationIsDirectory || (destination.isLocal() && storage.isDirectory(destination));
    List<Transfer> plan = new ArrayList<>();
    if (storage.exists(source)) {
      Location to = intoDirectory ? destination.resolve(source.fileName()) : destination;
      plan.add(new Transfer(source, to, storage.inputFile(source).length()));
    } else if (storage.isDirectory(source)) {
      if (!recursive) {
        throw new WrongInputException(source + " is a directory: add --recursive to copy everything below it");
      }
      if (destination.isWithin(source)) {
        throw new WrongInputException("Cannot copy " + source + " into itself (" + destination + ")");
      }
      for (FileEntry f : storage.list(source)) {
        plan.add(new Transfer(f.location(), destination.resolve(source.relativize(f.location())), f.length()));
      }
    } else {
      String prefix = source.fileName() + ".";
      for (FileEntry f : source.isRoot() ? List.<FileEntry>of() : storage.list(source.parent())) {
        String rel = source.parent().relativize(f.location());
        if (rel.startsWith(prefix) && !rel.contains("/")) {
          Location to = intoDirectory ? destination.resolve(rel)
              : destination.appendToName(rel.substring(source.fileName().length()));
          plan.add(new Transfer(f.location(), to, f.length()));
        }
      }
      if (plan.isEmpty()) {
        throw new LocationNotFoundException(source, "Nothing at " + source + ": no such file, directory, or files named "
            + source.fileName() + ".*");
      }
    }
    for (Transfer t : plan) {
      if (t.source().equals(t.destination())) {
        throw new WrongInputException("Source and destination are the same: " + t.source());
      }
    }
    return plan;
  }

  /**
   * Copies every planned file, {@code parallelism} at a time; the first failure stops the rest and is thrown.
   *
   * <p>Files that make a model visible to its readers ({@link #isCommitMarker}) are copied only after every other
   * file has arrived, so a copy that dies half-way never leaves a loadable-looking model with missing parts: TF
   * Serving waits for {@code saved_model.pb}, checkpoint readers look for the {@code .index} and the
   * {@code checkpoint} state file.
   */
  public CopyResult copy(List<Transfer> plan, CopyListener listener) {
    long total = plan.stream().mapToLong(Transfer::length).sum();
    listener.started(plan.size(), total);
    List<Transfer> first = new ArrayList<>();
    List<Transfer> last = new ArrayList<>();
    for (Transfer t : plan) {
      (isCommitMarker(t.destination()) ? last : first).add(t);
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, Math.max(1, plan.size())), r -> {
      Thread t = new Thread(r, "tfgw-copy");
      t.setDaemon(true);
      return t;
    });
    try {
      java.util.Map<Location, Integer> crcs = new java.util.concurrent.ConcurrentHashMap<>();
      int byStore = copyAll(first, pool, listener, crcs) + copyAll(last, pool, listener, crcs);
      return new CopyResult(plan.size(), total, byStore, plan.size() - byStore, crcs);
    } finally {
      pool.shutdownNow();
    }
  }

  /** A file whose arrival makes a model or checkpoint visible: it must land after the files it refers to. */
  public static boolean isCommitMarker(Location file) {
    String name = file.fileName();
    return name.equals("saved_model.pb") || name.equals("saved_model.pbtxt") || name.equals("checkpoint")
        || name.endsWith(".index");
  }

  private int copyAll(List<Transfer> files, ExecutorService pool, CopyListener listener,
      java.util.Map<Location, Integer> crcs) {
    List<Future<Boolean>> results = new ArrayList<>();
    for (Transfer t : files) {
      results.add(pool.submit(() -> {
        boolean byStore = copyOne(t, listener, crcs);
        listener.finished(t);
        return byStore;
      }));
    }
    int byStore = 0;
    for (Future<Boolean> f : results) {
      try {
        byStore += f.get() ? 1 : 0;
      } catch (ExecutionException e) {
        results.forEach(r -> r.cancel(true));
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        throw new StorageException("Copy failed: " + cause, cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("Copy interrupted");
      }
    }
    return byStore;
  }

  /** Copies and verifies one file; true when the store's own checksum verified it. */
  private boolean copyOne(Transfer t, CopyListener listener, java.util.Map<Location, Integer> crcs) {
    CRC32C crc = new CRC32C();
    long copied = 0;
    try (InputStream in = storage.inputFile(t.source()).newStream();
        AtomicOutputStream out = storage.outputFile(t.destination()).create()) {
      byte[] buffer = new byte[BUFFER];
      for (int n; (n = in.read(buffer)) > 0; ) {
        crc.update(buffer, 0, n);
        out.write(buffer, 0, n);
        copied += n;
        listener.transferred(n);
        if (Thread.currentThread().isInterrupted()) {
          throw new StorageException("Copy of " + t.source() + " was cancelled");
        }
      }
      if (copied != t.length()) {
        throw new StorageException(t.source() + " changed while it was copied (" + t.length() + " bytes when listed, "
            + copied + " read); copy again");
      }
      out.commit();
    } catch (IOException e) {
      throw new StorageException("Cannot copy " + t.source() + " to " + t.destination() + ": " + e.getMessage(), e);
    }
    boolean byStore = verify(t, (int) crc.getValue(), copied);
    crcs.put(t.destination(), (int) crc.getValue());
    return byStore;
  }

  private boolean verify(Transfer t, int expected, long length) {
    Location dst = t.destination();
    long arrived = storage.inputFile(dst).length();
    OptionalInt stored = storage.capability(StoredChecksums.class, dst).map(s -> s.crc32c(dst)).orElse(OptionalInt.empty());
    int actual;
    boolean byStore = stored.isPresent();
    if (byStore) {
      actual = stored.getAsInt();
    } else {
      CRC32C crc = new CRC32C();
      try (InputStream in = storage.inputFile(dst).newStream()) {
        byte[] buffer = new byte[BUFFER];
        for (int n; (n = in.read(buffer)) > 0; ) {
          crc.update(buffer, 0, n);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      actual = (int) crc.getValue();
    }
    if (arrived != length || actual != expected) {
      try {
        storage.delete(dst);
      } catch (RuntimeException ignored) {
        // reported below either way
      }
      throw new StorageException(String.format("The copy of %s at %s is not what was sent (%d bytes, crc32c %08x; sent "
          + "%d bytes, crc32c %08x); it was deleted. Copy again; if it happens again, the destination store corrupts data.",
          t.source(), dst, arrived, actual, length, expected));
    }
    return byStore;
  }
}
