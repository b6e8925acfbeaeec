package io.tfgw.storage.local;

import io.tfgw.core.storage.StorageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serializes the check-and-rename of conditional commits to one local file, between threads (a lock per path) and
 * between processes on this machine (an OS file lock, released by the kernel if the process dies, so kill -9
 * leaves no stale lock). The lock files live in the temp directory, so destination directories get no extra
 * files, and are striped: a path hashes to one of {@value #STRIPES} locks, so there are never more lock files than
 * that. Two paths sharing a stripe only wait for each other's stat-and-rename, which takes microseconds.
 */
final class CommitLocks {
  static final int STRIPES = 64;
  private static final ConcurrentHashMap<Integer, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private CommitLocks() {}

  interface Action {
    void run() throws IOException;
  }

  static void withLock(Path target, Action action) throws IOException {
    int stripe = stripe(canonical(target));
    ReentrantLock local = IN_PROCESS.computeIfAbsent(stripe, k -> new ReentrantLock());
    local.lock();
    try (FileChannel channel = FileChannel.open(lockFile(stripe), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      action.run();
    } finally {
      local.unlock();
    }
  }

  private static Path canonical(Path target) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    return parent.toRealPath().resolve(target.getFileName());
  }

  private static int stripe(Path key) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.toString().getBytes(StandardCharsets.UTF_8));
      return Byte.toUnsignedInt(hash[0]) % STRIPES;
    } catch (NoSuchAlgorithmException e) {
      throw new StorageException("SHA-256 is missing from this Java runtime", e);
    }
  }

  private static Path lockFile(int stripe) throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tfgw-commit-locks");
    Files.createDirectories(dir);
    return dir.resolve("stripe-" + stripe + ".lock");
  }
}
