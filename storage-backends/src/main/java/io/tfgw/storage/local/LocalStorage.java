package io.tfgw.storage.local;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConcurrentWriteException;
import io.tfgw.core.storage.ConditionalWrites;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Local files. Reads are positional {@link FileChannel} reads (thread-safe, no shared file pointer). Writes go to a
 * hidden temp file in the destination directory, are fsynced, and are renamed over the destination atomically at
 * commit, so a reader never sees a half-written file and a crash leaves at most a temp file behind. Writes are
 * synchronous and in 64 KiB pieces, and a direct buffer goes to write(2) as it is (see {@link LocalAtomicOutput}).
 */
public final class LocalStorage implements Storage, io.tfgw.core.storage.FileTimes, io.tfgw.core.storage.ShallowListing,
    ConditionalWrites,
    io.tfgw.core.storage.ConditionalReads {
  /** Prefix of in-progress temp files; {@link #list} hides them. */
  static final String TEMP_PREFIX = ".tfgw-tmp-";

  @Override
  public InputFile inputFile(Location location) {
    return new LocalInputFile(location);
  }

  @Override
  public OutputFile outputFile(Location location) {
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        return new LocalAtomicOutput(location, null);
      }
    };
  }

  /** The file's identity (inode), size and modification time: a rename over it or a rewrite changes it. */
  @Override
  public Optional<String> version(Location file) {
    return versionOf(file.toLocalPath());
  }

  private static Optional<String> versionOf(Path path) {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
      return Optional.of(a.fileKey() + ":" + a.size() + ":" + a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      if (isThroughAFile(path)) {
        return Optional.empty();
      }
      throw new StorageException("Cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Whether the path goes through a file ({@code model.ckpt/checkpoint}): nothing can be there (ENOTDIR). */
  private static boolean isThroughAFile(Path path) {
    for (Path above = path.getParent(); above != null; above = above.getParent()) {
      if (Files.isRegularFile(above)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads the file unless its version ({@link #version}) is still {@code known}. Files are replaced by rename, so
   * the bytes read belong to one version; the version is taken again after reading and the read repeated if a
   * rename came in between.
   */
  @Override
  public io.tfgw.core.storage.ConditionalReads.Read readIfChanged(Location file, Optional<String> known) {
    Path path = file.toLocalPath();
    for (int attempt = 0; ; attempt++) {
      Optional<String> before = versionOf(path);
      if (before.isEmpty()) {
        return io.tfgw.core.storage.ConditionalReads.Read.absent();
      }
      if (before.equals(known)) {
        return io.tfgw.core.storage.ConditionalReads.Read.unchanged(before.get());
      }
      byte[] content;
      try {
        content = Files.readAllBytes(path);
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException e) {
        throw new StorageException("Cannot read " + path + ": " + e.getMessage(), e);
      }
      if (before.equals(versionOf(path)) || attempt >= 3) {
        return io.tfgw.core.storage.ConditionalReads.Read.changed(before.get(), content);
      }
    }
  }

  @Override
  public AtomicOutputStream createIf(Location file, Optional<String> expected) {
    return new LocalAtomicOutput(file, expected);
  }

  @Override
  public List<FileEntry> list(Location directory) {
    Path dir = directory.toLocalPath();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<FileEntry> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith(TEMP_PREFIX))
          .forEach(p -> {
            try {
              out.add(new FileEntry(Location.local(p), Files.size(p)));
            } catch (IOException e) {
              // vanished between walk and stat: not listed
            }
          });
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new StorageException("Cannot list " + directory + ": " + e.getMessage(), e);
    }
    out.sort((a, b) -> compareBytewise(a.location().path(), b.location().path()));
    return out;
  }

  @Override
  public List<String> childNames(Location directory, int limit) {
    Path dir = directory.toLocalPath();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(TEMP_PREFIX)).limit(limit)
          .sorted().toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new StorageException("Cannot list " + directory + ": " + e.getMessage(), e);
    }
  }

  static int compareBytewise(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public boolean isDirectory(Location location) {
    return Files.isDirectory(location.toLocalPath());
  }

  @Override
  public void delete(Location location) {
    try {
      Files.deleteIfExists(location.toLocalPath());
    } catch (IOException e) {
      if (isThroughAFile(location.toLocalPath())) {
        return;
      }
      throw new StorageException("Cannot delete " + location + ": " + e.getMessage(), e);
    }
  }

  @Override
  public java.util.Optional<java.time.Instant> lastModified(Location location) {
    try {
      return java.util.Optional.of(Files.getLastModifiedTime(location.toLocalPath()).toInstant());
    } catch (NoSuchFileException e) {
      throw new LocationNotFoundException(location);
    } catch (IOException e) {
      if (isThroughAFile(location.toLocalPath())) {
        throw new LocationNotFoundException(location);
      }
      throw new StorageException("Cannot read " + location + ": " + e.getMessage(), e);
    }
  }

  private static final class LocalInputFile implements InputFile {
    private final Location location;

    LocalInputFile(Location location) {
      this.location = location;
    }

    @Override
    public Location location() {
      return location;
    }

    @Override
    public long length() {
      Path p = location.toLocalPath();
      try {
        if (Files.isDirectory(p)) {
          throw new StorageException(location + " is a directory, not a file");
        }
        return Files.size(p);
      } catch (NoSuchFileException e) {
        throw new LocationNotFoundException(location);
      } catch (IOException e) {
        if (isThroughAFile(p)) {
          throw new LocationNotFoundException(location);
        }
        throw new StorageException("Cannot read " + location + ": " + e.getMessage(), e);
      }
    }

    @Override
    public boolean exists() {
      return Files.isRegularFile(location.toLocalPath());
    }

    @Override
    public RandomAccessInput open() {
      Path p = location.toLocalPath();
      if (Files.isDirectory(p)) {
        throw new StorageException(location + " is a directory, not a file");
      }
      try {
        return new LocalInput(location, FileChannel.open(p, StandardOpenOption.READ));
      } catch (NoSuchFileException e) {
        throw new LocationNotFoundException(location);
      } catch (IOException e) {
        if (isThroughAFile(p)) {
          throw new LocationNotFoundException(location);
        }
        throw new StorageException("Cannot open " + location + ": " + e.getMessage(), e);
      }
    }
  }

  private static final class LocalInput implements RandomAccessInput {
    private final Location location;
    private final FileChannel channel;
    private final long length;

    LocalInput(Location location, FileChannel channel) throws IOException {
      this.location = location;
      this.channel = channel;
      this.length = channel.size();
    }

    @Override
    public Location location() {
      return location;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void readFully(long position, byte[] buffer, int offset, int len) {
      if (position < 0 || len < 0 || position + len > length) {
        throw new StorageException("Read of " + len + " bytes at offset " + position + " is past the end of "
            + location + " (" + length + " bytes); the file is truncated or corrupt");
      }
      ByteBuffer bb = ByteBuffer.wrap(buffer, offset, len);
      long pos = position;
      try {
        while (bb.hasRemaining()) {
          int n = channel.read(bb, pos);
          if (n < 0) {
            throw new StorageException(location + " ended at offset " + pos + " while reading; it shrank while being read");
          }
          pos += n;
        }
      } catch (IOException e) {
        throw new StorageException("Cannot read " + location + " at offset " + position + ": " + e.getMessage(), e);
      }
    }

    /** Positional reads straight into the caller's buffer: into a direct one, pread(2) is the only copy. */
    @Override
    public java.nio.channels.ReadableByteChannel channel(long position, long len) {
      if (position < 0 || len < 0 || position + len > length) {
        throw new StorageException("Range [" + position + ", " + (position + len) + ") is outside " + location
            + " (" + length + " bytes)");
      }
      long end = position + len;
      return new java.nio.channels.ReadableByteChannel() {
        private long pos = position;
        private boolean open = true;

        @Override
        public int read(ByteBuffer dst) {
          if (pos >= end) {
            return -1;
          }
          int limit = dst.limit();
          int want = (int) Math.min(dst.remaining(), end - pos);
          dst.limit(dst.position() + want);
          try {
            int n = channel.read(dst, pos);
            if (n < 0) {
              throw new StorageException(location + " ended at offset " + pos + " while reading; it shrank while being read");
            }
            pos += n;
            return n;
          } catch (IOException e) {
            throw new StorageException("Cannot read " + location + " at offset " + pos + ": " + e.getMessage(), e);
          } finally {
            dst.limit(limit);
          }
        }

        @Override
        public boolean isOpen() {
          return open;
        }

        @Override
        public void close() {
          open = false; // the file's channel belongs to the input
        }
      };
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        throw new StorageException("Cannot close " + location + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Writes on the caller's thread. Where the file system takes it, bytes go to the disk with O_DIRECT through
   * {@link DirectFileWriter} (why: see there); otherwise through the page cache in 64 KiB pieces, and a direct buffer
   * as it is. Measured on the 2-core VM of README's Performance section (A/B runs, each after the same settling),
   * synchronous writes beat a writer thread per file with periodic fdatasync: its hand-offs and copies cost more than
   * the overlap won. 64 KiB pieces for buffered writes, because copying 1 GiB with {@code dd conv=fsync} costs 0.4 s
   * of system time in them and 1.3-2.5 s in 128 KiB to 4 MiB ones there.
   */
  private static final class LocalAtomicOutput extends AtomicOutputStream {
    static final int PIECE = 1 << 16;
    /** Smaller direct buffers are copied into the stream's buffer instead: a write(2) each would cost more. */
    private static final int DIRECT_WRITE_MIN = 16 << 10;

    private final Location location;
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    /** Null where the file is written through the page cache, by {@link #out}. */
    private final DirectFileWriter direct;
    private final OutputStream out;
    private long position;
    /** Null: replace whatever is there; otherwise the version the file must still have at commit. */
    private final Optional<String> expected;

    LocalAtomicOutput(Location location, Optional<String> expected) {
      this.location = location;
      this.expected = expected;
      this.target = location.toLocalPath();
      Path dir = target.getParent();
      try {
        Files.createDirectories(dir);
        this.temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-"
            + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        this.direct = DirectFileWriter.tryOpen(temp);
        this.channel = direct != null ? direct.channel()
            : FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileSystemException e) {
        throw new StorageException("Cannot create " + location + ": " + describe(e), e);
      } catch (IOException e) {
        throw new StorageException("Cannot create " + location + ": " + e.getMessage(), e);
      }
      this.out = direct != null ? null : new BufferedOutputStream(Channels.newOutputStream(channel), PIECE);
    }

    private static String describe(FileSystemException e) {
      return e.getReason() != null ? e.getReason() + " (" + e.getFile() + ")" : String.valueOf(e.getMessage());
    }

    @Override
    public Location location() {
      return location;
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public void write(int b) {
      try {
        if (direct != null) {
          direct.write(b);
        } else {
          out.write(b);
        }
      } catch (IOException e) {
        throw writeFailed(e);
      }
      position++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      try {
        if (direct != null) {
          direct.write(b, off, len);
        } else {
          out.write(b, off, len);
        }
      } catch (IOException e) {
        throw writeFailed(e);
      }
      position += len;
    }

    /** A direct buffer goes to write(2) as it is (or into the O_DIRECT staging buffer): no array in between. */
    @Override
    public void write(ByteBuffer src) {
      int len = src.remaining();
      try {
        if (direct != null) {
          direct.write(src);
        } else if (!src.isDirect() || len < DIRECT_WRITE_MIN) {
          super.write(src); // counted by write(byte[])
          return;
        } else {
          out.flush();
          while (src.hasRemaining()) {
            channel.write(src);
          }
        }
      } catch (IOException e) {
        throw writeFailed(e);
      }
      position += len;
    }

    @Override
    public void flush() {
      if (direct != null) {
        return; // written by commit; nobody reads the hidden temp file before
      }
      try {
        out.flush();
      } catch (IOException e) {
        throw writeFailed(e);
      }
    }

    private StorageException writeFailed(IOException e) {
      return new StorageException("Cannot write " + location + ": " + e.getMessage()
          + (String.valueOf(e.getMessage()).contains("space") ? " (is the disk full?)" : ""), e);
    }

    @Override
    protected void doCommit() {
      try {
        if (direct != null) {
          direct.finish(position);
          direct.release();
        } else {
          out.flush();
          channel.force(true);
        }
        channel.close();
        if (expected == null) {
          publish();
        } else {
          CommitLocks.withLock(target, () -> {
            if (!versionOf(target).equals(expected)) {
              throw new ConcurrentWriteException(location);
            }
            publish();
          });
        }
      } catch (ConcurrentWriteException e) {
        doAbort();
        throw e;
      } catch (IOException e) {
        doAbort();
        throw new StorageException("Cannot commit " + location + ": " + e.getMessage(), e);
      }
    }

    private void publish() throws IOException {
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }

    @Override
    protected void doAbort() {
      if (direct != null) {
        direct.release();
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // the temp file is deleted below either way
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // best effort: a leftover hidden temp file is never mistaken for output
      }
    }
  }
}
