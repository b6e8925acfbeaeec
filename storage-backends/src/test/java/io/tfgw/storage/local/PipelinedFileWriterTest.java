package io.tfgw.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large local writes go through the writer thread; what lands on disk must be exactly what was written. */
class PipelinedFileWriterTest {
  @TempDir Path dir;
  private final LocalStorage storage = new LocalStorage();

  /** Bytes no two offsets of which are likely to agree, so a reordered or lost buffer shows. */
  private static byte[] randomBytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Writes {@code content} in pieces of odd sizes, some larger than a pipeline buffer, some single bytes. */
  private static void writeInPieces(AtomicOutputStream out, byte[] content) throws java.io.IOException {
    Random sizes = new Random(7);
    int at = 0;
    while (at < content.length) {
      int n = Math.min(content.length - at, sizes.nextInt(3) == 0 ? 1 + sizes.nextInt(9 << 20) : 1 + sizes.nextInt(5000));
      if (n == 1) {
        out.write(content[at]);
      } else {
        out.write(content, at, n);
      }
      at += n;
    }
  }

  @Test
  void aFileOfManyBuffersAndWritebacksIsWrittenExactly() throws Exception {
    // more than the writeback interval, and not a multiple of the buffer size
    byte[] content = randomBytes(1, (int) PipelinedFileWriter.WRITEBACK_INTERVAL + 3 * PipelinedFileWriter.BUFFER_SIZE + 12345);
    Location file = Location.local(dir.resolve("big.bin"));
    try (AtomicOutputStream out = storage.outputFile(file).create()) {
      writeInPieces(out, content);
      assertThat(out.position()).isEqualTo(content.length);
      out.commit();
    }
    assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(content);
  }

  @Test
  void abortAfterBuffersWentToTheThreadLeavesNothing() throws Exception {
    try (AtomicOutputStream out = storage.outputFile(Location.local(dir.resolve("gone.bin"))).create()) {
      writeInPieces(out, randomBytes(2, 5 * PipelinedFileWriter.BUFFER_SIZE + 1));
    } // closed without commit: aborted
    try (Stream<Path> all = Files.list(dir)) {
      assertThat(all).isEmpty();
    }
  }

  @Test
  void moreOpenFilesThanPipelineSlotsAreAllWrittenExactly() throws Exception {
    int files = PipelinedFileWriter.SLOTS + 3;
    List<AtomicOutputStream> outs = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      outs.add(storage.outputFile(Location.local(dir.resolve("f" + i))).create());
      contents.add(randomBytes(10 + i, 2 * PipelinedFileWriter.BUFFER_SIZE + 1000 * i));
    }
    // interleaved, as a writer of several shards does
    int piece = 1 << 20;
    for (int at = 0; at < contents.get(files - 1).length; at += piece) {
      for (int i = 0; i < files; i++) {
        byte[] c = contents.get(i);
        if (at < c.length) {
          outs.get(i).write(c, at, Math.min(piece, c.length - at));
        }
      }
    }
    for (AtomicOutputStream out : outs) {
      out.commit();
    }
    for (int i = 0; i < files; i++) {
      assertThat(Files.readAllBytes(dir.resolve("f" + i))).as("file %d", i).isEqualTo(contents.get(i));
    }
    // every slot was given back: a new file is pipelined again and written exactly
    byte[] again = randomBytes(99, 3 * PipelinedFileWriter.BUFFER_SIZE);
    try (AtomicOutputStream out = storage.outputFile(Location.local(dir.resolve("again"))).create()) {
      out.write(again);
      out.commit();
    }
    assertThat(Files.readAllBytes(dir.resolve("again"))).isEqualTo(again);
  }
}
