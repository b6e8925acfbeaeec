package io.tfgw.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local writes mix arrays, single bytes, heap buffers and direct buffers (which go to write(2) as they are, past the
 * stream's buffer): what lands on disk must be exactly what was written, in order.
 */
class LocalWritesTest {
  @TempDir Path dir;
  private final LocalStorage storage = new LocalStorage();

  /** Bytes no two offsets of which are likely to agree, so a reordered or lost piece shows. */
  private static byte[] randomBytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Writes {@code content} in pieces of odd sizes and every kind, some larger than a piece, some single bytes. */
  private static void writeInPieces(AtomicOutputStream out, byte[] content) throws java.io.IOException {
    Random sizes = new Random(7);
    ByteBuffer direct = ByteBuffer.allocateDirect(300 << 10);
    int at = 0;
    int kind = 0;
    while (at < content.length) {
      int n = Math.min(content.length - at, sizes.nextInt(3) == 0 ? 1 + sizes.nextInt(300 << 10) : 1 + sizes.nextInt(20000));
      switch (kind++ % 4) {
        case 0 -> {
          if (n == 1) {
            out.write(content[at]);
          } else {
            out.write(content, at, n);
          }
        }
        case 1 -> {
          ByteBuffer heap = ByteBuffer.wrap(content, at, n);
          out.write(heap);
          assertThat(heap.hasRemaining()).isFalse();
        }
        default -> {
          direct.clear();
          direct.put(content, at, n).flip();
          out.write(direct);
          assertThat(direct.hasRemaining()).isFalse();
        }
      }
      at += n;
      assertThat(out.position()).isEqualTo(at);
    }
  }

  @Test
  void mixedArraysAndBuffersAreWrittenExactly() throws Exception {
    byte[] content = randomBytes(1, (9 << 20) + 12345);
    Location file = Location.local(dir.resolve("big.bin"));
    try (AtomicOutputStream out = storage.outputFile(file).create()) {
      writeInPieces(out, content);
      assertThat(out.position()).isEqualTo(content.length);
      out.commit();
    }
    assertThat(Files.readAllBytes(dir.resolve("big.bin"))).isEqualTo(content);
  }

  /**
   * Files written with O_DIRECT go out in aligned pieces and are cut back to their length at commit; beyond the
   * slots for that, files open at the same time are written through the page cache. Every length that meets an
   * edge (empty, one byte, one block, one staging buffer and one byte more) on both paths.
   */
  @Test
  void everyLengthLandsExactlyWhetherWrittenDirectOrBuffered() throws Exception {
    int[] lengths = {0, 1, 4095, 4096, 4097, DirectFileWriter.STAGE - 1, DirectFileWriter.STAGE, DirectFileWriter.STAGE + 1,
        2 * DirectFileWriter.STAGE + 12345};
    int files = DirectFileWriter.SLOTS + lengths.length;
    java.util.List<AtomicOutputStream> outs = new java.util.ArrayList<>();
    java.util.List<byte[]> contents = new java.util.ArrayList<>();
    for (int i = 0; i < files; i++) {
      outs.add(storage.outputFile(Location.local(dir.resolve("f" + i + ".bin"))).create());
      contents.add(randomBytes(100 + i, lengths[i % lengths.length]));
    }
    for (int i = 0; i < files; i++) {
      writeInPieces(outs.get(i), contents.get(i));
    }
    for (int i = 0; i < files; i++) {
      outs.get(i).commit();
      assertThat(Files.readAllBytes(dir.resolve("f" + i + ".bin"))).as("file %d", i).isEqualTo(contents.get(i));
    }
    // the slots are free again: a file written now must be exact too
    byte[] again = randomBytes(99, 3 * DirectFileWriter.STAGE + 7);
    try (AtomicOutputStream out = storage.outputFile(Location.local(dir.resolve("again.bin"))).create()) {
      writeInPieces(out, again);
      out.commit();
    }
    assertThat(Files.readAllBytes(dir.resolve("again.bin"))).isEqualTo(again);
  }

  @Test
  void abortAfterDirectWritesLeavesNothing() throws Exception {
    try (AtomicOutputStream out = storage.outputFile(Location.local(dir.resolve("gone.bin"))).create()) {
      writeInPieces(out, randomBytes(2, 3 << 20));
    } // closed without commit: aborted
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void channelsReadRangesStraightIntoDirectBuffers() throws Exception {
    byte[] content = randomBytes(3, 200_000);
    Files.write(dir.resolve("in.bin"), content);
    try (var in = storage.inputFile(Location.local(dir.resolve("in.bin"))).open();
        var ch = in.channel(1000, 150_000)) {
      ByteBuffer b = ByteBuffer.allocateDirect(64 << 10);
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      while (true) {
        b.clear();
        int n = ch.read(b);
        if (n < 0) {
          break;
        }
        b.flip();
        byte[] piece = new byte[b.remaining()];
        b.get(piece);
        got.write(piece);
      }
      assertThat(got.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(content, 1000, 151_000));
    }
  }
}
