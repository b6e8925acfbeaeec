package io.tfgw.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Storage} backend promises. Each backend runs it by subclassing with a small class that
 * supplies the storage and an empty root (Trino's AbstractTestTrinoFileSystem is the model). Capability hooks let a
 * backend state what it cannot do, instead of skipping tests silently.
 */
public abstract class AbstractStorageContractTest {
  /** The storage under test. */
  protected abstract Storage storage();

  /** An empty directory (prefix) the test may fill. */
  protected abstract Location root();

  /** Whether the backend can hold directories with no files (local disks can; object stores cannot). */
  protected boolean hasRealDirectories() {
    return false;
  }

  /** Positional reads per thread in the concurrency test (object stores pay a request for each). */
  protected int concurrentReadsPerThread() {
    return 200;
  }

  /** Size of the file written in small odd-sized pieces; object stores make it span several upload parts. */
  protected int largeFileSize() {
    return 3 * (1 << 20) + 17;
  }

  /** Whether the backend offers {@link ConditionalWrites} (local files and S3 do). */
  protected boolean supportsConditionalWrites() {
    return false;
  }

  @BeforeEach
  void rootIsEmpty() {
    assertThat(storage().list(root())).as("the test root must start empty").isEmpty();
  }

  protected Location write(String relative, byte[] content) {
    Location loc = root().resolve(relative);
    storage().outputFile(loc).write(content);
    return loc;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void committedOutputReadsBackWithPositionalReads() {
    byte[] content = new byte[300_000];
    new Random(1).nextBytes(content);
    Location loc = write("a/b/data.bin", content);

    InputFile in = storage().inputFile(loc);
    assertThat(in.exists()).isTrue();
    assertThat(in.length()).isEqualTo(content.length);
    try (RandomAccessInput r = in.open()) {
      assertThat(r.length()).isEqualTo(content.length);
      assertThat(r.readFully(0, 10)).isEqualTo(java.util.Arrays.copyOfRange(content, 0, 10));
      assertThat(r.readFully(123_456, 1000)).isEqualTo(java.util.Arrays.copyOfRange(content, 123_456, 124_456));
      assertThat(r.readTail(48)).isEqualTo(java.util.Arrays.copyOfRange(content, content.length - 48, content.length));
      assertThat(r.readTail(1_000_000)).isEqualTo(content);
      assertThat(r.readFully(content.length, 0)).isEmpty();
    }
    assertThat(in.readAllBytes()).isEqualTo(content);
  }

  @Test
  void streamsCoverExactlyTheirRange() throws Exception {
    byte[] content = new byte[3 * (1 << 20) + 17];
    new Random(2).nextBytes(content);
    Location loc = write("big.bin", content);
    try (RandomAccessInput r = storage().inputFile(loc).open();
        InputStream s = r.stream(5, content.length - 10)) {
      assertThat(s.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(content, 5, content.length - 5));
    }
    try (InputStream s = storage().inputFile(loc).newStream()) {
      assertThat(s.readAllBytes()).isEqualTo(content);
    }
  }

  @Test
  void readingPastTheEndFailsNamingTheFile() {
    Location loc = write("short.bin", bytes("12345"));
    try (RandomAccessInput r = storage().inputFile(loc).open()) {
      assertThatThrownBy(() -> r.readFully(3, 5)).isInstanceOf(StorageException.class)
          .hasMessageContaining(loc.toString());
    }
  }

  @Test
  void missingFileIsNotFoundNamingTheLocation() {
    Location loc = root().resolve("missing.bin");
    assertThat(storage().exists(loc)).isFalse();
    assertThatThrownBy(() -> storage().inputFile(loc).length()).isInstanceOf(LocationNotFoundException.class)
        .hasMessageContaining(loc.toString());
    assertThatThrownBy(() -> storage().inputFile(loc).open()).isInstanceOf(LocationNotFoundException.class)
        .hasMessageContaining(loc.toString());
  }

  /**
   * A location below a file is a path through that file: nothing is there, as on a local disk (tools probe
   * {@code model.ckpt/checkpoint} without knowing that {@code model.ckpt} is a file). Stores that keep objects as
   * files answer such keys with errors; the backend must still say "absent".
   */
  @Test
  void aLocationBelowAFileIsAbsent() {
    Location file = write("run/model.ckpt", bytes("a V1 checkpoint"));
    for (String below : List.of("run/model.ckpt/checkpoint", "run/model.ckpt/variables/variables.index")) {
      Location loc = root().resolve(below);
      assertThat(storage().exists(loc)).as(below).isFalse();
      assertThat(storage().inputFile(loc).exists()).as(below).isFalse();
      assertThatThrownBy(() -> storage().inputFile(loc).length()).as(below)
          .isInstanceOf(LocationNotFoundException.class).hasMessageContaining(loc.toString());
      assertThatThrownBy(() -> storage().inputFile(loc).open()).as(below)
          .isInstanceOf(LocationNotFoundException.class).hasMessageContaining(loc.toString());
      storage().delete(loc); // nothing to delete
      storage().capability(ConditionalWrites.class, loc)
          .ifPresent(c -> assertThat(c.version(loc)).as("version of " + below).isEmpty());
    }
    assertThat(storage().isDirectory(file)).isFalse();
    assertThat(storage().list(file)).isEmpty();
    assertThat(storage().exists(file)).isTrue();
  }

  @Test
  void abortedAndUncommittedOutputsLeaveNothing() throws Exception {
    Location aborted = root().resolve("aborted.bin");
    AtomicOutputStream out = storage().outputFile(aborted).create();
    out.write(bytes("partial"));
    out.abort();
    assertThat(storage().exists(aborted)).isFalse();

    Location closed = root().resolve("closed.bin");
    try (AtomicOutputStream o = storage().outputFile(closed).create()) {
      o.write(bytes("partial"));
    }
    assertThat(storage().exists(closed)).isFalse();
    assertThat(storage().list(root())).isEmpty();
  }

  @Test
  void outputIsInvisibleUntilCommitted() throws Exception {
    Location loc = root().resolve("pending.bin");
    try (AtomicOutputStream out = storage().outputFile(loc).create()) {
      out.write(new byte[100_000]);
      out.flush();
      assertThat(storage().exists(loc)).isFalse();
      assertThat(storage().list(root())).isEmpty();
      assertThat(out.position()).isEqualTo(100_000);
      out.commit();
    }
    assertThat(storage().inputFile(loc).length()).isEqualTo(100_000);
  }

  @Test
  void commitReplacesAnExistingFile() {
    Location loc = write("x.txt", bytes("old content"));
    write("x.txt", bytes("new"));
    assertThat(storage().inputFile(loc).readAllBytes()).isEqualTo(bytes("new"));
  }

  @Test
  void commitTwiceIsAnError() throws Exception {
    Location loc = root().resolve("once.bin");
    try (AtomicOutputStream out = storage().outputFile(loc).create()) {
      out.commit();
      assertThatThrownBy(out::commit).isInstanceOf(IllegalStateException.class);
    }
    assertThat(storage().inputFile(loc).length()).isZero();
  }

  @Test
  void listIsRecursiveSortedAndSized() {
    write("b/2.bin", new byte[2]);
    write("a.bin", new byte[1]);
    write("b/c/3.bin", new byte[3]);
    write("b/1.bin", new byte[4]);
    List<FileEntry> all = storage().list(root());
    assertThat(all).extracting(e -> root().relativize(e.location()))
        .containsExactly("a.bin", "b/1.bin", "b/2.bin", "b/c/3.bin");
    assertThat(all).extracting(FileEntry::length).containsExactly(1L, 4L, 2L, 3L);
    assertThat(storage().list(root().resolve("b"))).hasSize(3);
    assertThat(storage().list(root().resolve("b/c"))).extracting(FileEntry::length).containsExactly(3L);
    assertThat(storage().list(root().resolve("nothing-here"))).isEmpty();
    assertThat(storage().isDirectory(root().resolve("b"))).isTrue();
    assertThat(storage().isDirectory(root().resolve("a.bin"))).isFalse();
  }

  @Test
  void listDoesNotMistakeSiblingPrefixesForChildren() {
    write("dir/file", new byte[1]);
    write("dir2/file", new byte[1]);
    write("dir.txt", new byte[1]);
    assertThat(storage().list(root().resolve("dir"))).extracting(e -> root().relativize(e.location()))
        .containsExactly("dir/file");
  }

  @Test
  void deleteRemovesAndToleratesMissing() {
    Location loc = write("gone.bin", new byte[1]);
    storage().delete(loc);
    assertThat(storage().exists(loc)).isFalse();
    storage().delete(loc);
  }

  @Test
  void concurrentPositionalReadsSeeTheirOwnBytes() throws Exception {
    byte[] content = new byte[1 << 20];
    new Random(3).nextBytes(content);
    Location loc = write("shared.bin", content);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (RandomAccessInput r = storage().inputFile(loc).open()) {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        results.add(pool.submit(() -> {
          Random rnd = new Random(seed);
          for (int i = 0; i < concurrentReadsPerThread(); i++) {
            int pos = rnd.nextInt(content.length - 4096);
            byte[] got = r.readFully(pos, 4096);
            if (!java.util.Arrays.equals(got, java.util.Arrays.copyOfRange(content, pos, pos + 4096))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void namesWithSpacesAndUnicodeWork() {
    Location loc = write("dir with space/ünïcødé name.bin", bytes("ok"));
    assertThat(storage().inputFile(loc).readAllBytes()).isEqualTo(bytes("ok"));
    assertThat(storage().list(root())).extracting(FileEntry::location).containsExactly(loc);
  }

  @Test
  void largeOutputWrittenInPiecesReadsBack() throws Exception {
    byte[] content = new byte[largeFileSize()];
    new Random(4).nextBytes(content);
    Location loc = root().resolve("large/pieces.bin");
    try (AtomicOutputStream out = storage().outputFile(loc).create()) {
      Random sizes = new Random(5);
      int pos = 0;
      while (pos < content.length) {
        int n = Math.min(content.length - pos, sizes.nextInt(3) == 0 ? 1 : sizes.nextInt(700_000));
        if (n == 1) {
          out.write(content[pos]);
        } else {
          out.write(content, pos, n);
        }
        pos += n;
      }
      assertThat(out.position()).isEqualTo(content.length);
      assertThat(storage().exists(loc)).isFalse();
      out.commit();
    }
    assertThat(storage().inputFile(loc).length()).isEqualTo(content.length);
    try (InputStream s = storage().inputFile(loc).newStream()) {
      assertThat(java.security.MessageDigest.getInstance("SHA-256").digest(s.readAllBytes()))
          .isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    }
  }

  @Test
  void capabilitiesTellTheTruth() {
    byte[] content = bytes("checked content");
    Location loc = write("cap/file.txt", content);
    storage().capability(FileTimes.class, loc).ifPresent(times -> assertThat(times.lastModified(loc))
        .hasValueSatisfying(t -> assertThat(t).isBetween(java.time.Instant.now().minusSeconds(600),
            java.time.Instant.now().plusSeconds(600))));
    storage().capability(StoredChecksums.class, loc).ifPresent(sums -> {
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(content);
      java.util.OptionalInt stored = sums.crc32c(loc);
      if (stored.isPresent()) {
        assertThat(stored.getAsInt()).isEqualTo((int) crc.getValue());
      }
    });
    assertThat(storage().capability(String.class, loc)).isEmpty();
  }

  @Test
  void emptyFilesExist() {
    Location loc = write("empty", new byte[0]);
    assertThat(storage().exists(loc)).isTrue();
    assertThat(storage().inputFile(loc).length()).isZero();
    assertThat(storage().inputFile(loc).readAllBytes()).isEmpty();
    assertThat(storage().list(root())).extracting(FileEntry::length).containsExactly(0L);
  }

  private static void commit(AtomicOutputStream out, byte[] content) {
    try (out) {
      out.write(content);
      out.commit();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void conditionalWritesCommitOnlyOverWhatTheWriterSaw() {
    Location loc = root().resolve("cond/file.txt");
    java.util.Optional<ConditionalWrites> cw = storage().capability(ConditionalWrites.class, loc);
    assertThat(cw.isPresent()).as("ConditionalWrites capability").isEqualTo(supportsConditionalWrites());
    if (cw.isEmpty()) {
      return;
    }
    ConditionalWrites c = cw.get();
    assertThat(c.version(loc)).isEmpty();
    commit(c.createIf(loc, java.util.Optional.empty()), bytes("first"));
    java.util.Optional<String> v1 = c.version(loc);
    assertThat(v1).isPresent();

    // "must not exist" fails now, and leaves the file as it was
    assertThatThrownBy(() -> commit(c.createIf(loc, java.util.Optional.empty()), bytes("second")))
        .isInstanceOf(ConcurrentWriteException.class).hasMessageContaining(loc.toString());
    assertThat(storage().inputFile(loc).readAllBytes()).isEqualTo(bytes("first"));

    // a writer that saw v1 while someone else rewrote the file loses
    AtomicOutputStream slow = c.createIf(loc, v1);
    write("cond/file.txt", bytes("someone else"));
    assertThat(c.version(loc)).isPresent().isNotEqualTo(v1);
    assertThatThrownBy(() -> commit(slow, bytes("slow writer"))).isInstanceOf(ConcurrentWriteException.class);
    assertThat(storage().inputFile(loc).readAllBytes()).isEqualTo(bytes("someone else"));

    // and one that saw the current version replaces it
    commit(c.createIf(loc, c.version(loc)), bytes("third"));
    assertThat(storage().inputFile(loc).readAllBytes()).isEqualTo(bytes("third"));
    assertThat(storage().list(root().resolve("cond"))).hasSize(1);
  }

  @Test
  void ofConcurrentCreatorsExactlyOneWins() throws Exception {
    Location loc = root().resolve("race/model.index");
    java.util.Optional<ConditionalWrites> cw = storage().capability(ConditionalWrites.class, loc);
    if (cw.isEmpty()) {
      return;
    }
    int writers = 6;
    List<AtomicOutputStream> outputs = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      AtomicOutputStream out = cw.get().createIf(loc, cw.get().version(loc)); // all see "absent"
      out.write(bytes("writer " + i));
      outputs.add(out);
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (AtomicOutputStream out : outputs) {
        results.add(pool.submit(() -> {
          try {
            out.commit();
            return true;
          } catch (ConcurrentWriteException e) {
            return false;
          }
        }));
      }
      int won = 0;
      for (Future<Boolean> f : results) {
        won += f.get() ? 1 : 0;
      }
      assertThat(won).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(new String(storage().inputFile(loc).readAllBytes(), StandardCharsets.UTF_8)).startsWith("writer ");
    assertThat(storage().list(root().resolve("race"))).hasSize(1);
  }
}
