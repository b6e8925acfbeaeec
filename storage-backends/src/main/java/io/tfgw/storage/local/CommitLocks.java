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
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serializes the check-and-rename of conditional commits to one local file, between threads (a lock per path) and
 * between processes on this machine (an OS file lock, released by the kernel if the process dies, so kill -9
 * leaves no stale lock). The lock files live in the temp directory, named by a hash of the target's path, so
 * destination directories get no extra files.
 */
final class CommitLocks {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private CommitLocks() {}

  interface Action {
    void run() throws IOException;
  }

  static void withLock(Path target, Action action) throws IOException {
    Path key = canonical(target);
    ReentrantLock local = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
    local.lock();
    try (FileChannel channel = FileChannel.open(lockFile(key), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
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

  private static Path lockFile(Path key) throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tfgw-commit-locks");
    Files.createDirectories(dir);
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.toString().getBytes(StandardCharsets.UTF_8));
      return dir.resolve(HexFormat.of().formatHex(hash, 0, 16) + ".lock");
    } catch (NoSuchAlgorithmException e) {
      throw new StorageException("SHA-256 is missing from this Java runtime", e);
    }
  }
}
