package io.tfgw.core.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.airlift.compress.snappy.SnappyCompressor;
import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.testing.ByteArrayInput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TableRoundTripTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static TreeMap<String, byte[]> sampleEntries(int n, long seed) {
    Random rnd = new Random(seed);
    TreeMap<String, byte[]> m = new TreeMap<>();
    m.put("", b("header"));
    for (int i = 0; i < n; i++) {
      byte[] v = new byte[rnd.nextInt(300)];
      rnd.nextBytes(v);
      m.put(String.format("layer_%04d/kernel/%s", i, "x".repeat(rnd.nextInt(20))), v);
    }
    return m;
  }

  private static byte[] writeTable(TreeMap<String, byte[]> entries, int blockSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TableWriter w = new TableWriter(out, blockSize);
    entries.forEach((k, v) -> w.add(b(k), v));
    w.finish();
    assertThat(w.offset()).isEqualTo(out.size());
    return out.toByteArray();
  }

  @Test
  void everyEntryReadsBackInOrderAcrossManyBlocks() {
    TreeMap<String, byte[]> entries = sampleEntries(2000, 7);
    byte[] file = writeTable(entries, 4096);
    TableReader r = TableReader.open(new ByteArrayInput("mem.index", file));
    List<String> keys = new ArrayList<>();
    Iterator<TableEntry> it = r.iterator();
    while (it.hasNext()) {
      TableEntry e = it.next();
      keys.add(e.keyAsString());
      assertThat(e.value()).isEqualTo(entries.get(e.keyAsString()));
    }
    assertThat(keys).containsExactlyElementsOf(entries.keySet());
    for (String k : entries.keySet()) {
      assertThat(r.get(b(k))).as(k).hasValue(entries.get(k));
    }
    assertThat(r.get(b("layer_0001/kernel/y"))).isEmpty();
    assertThat(r.get(b("zzz"))).isEmpty();
    Iterator<TableEntry> from = r.iteratorFrom(b("layer_1000"));
    assertThat(from.next().keyAsString()).isEqualTo(entries.ceilingKey("layer_1000"));
  }

  @Test
  void emptyTableHasOnlyFooterAndEmptyBlocks() {
    byte[] file = writeTable(new TreeMap<>(), 4096);
    // empty metaindex (8 + 5) + empty index (8 + 5) + footer (48), as TF writes
    assertThat(file).hasSize(13 + 13 + 48);
    assertThat(TableReader.open(new ByteArrayInput("e", file)).iterator().hasNext()).isFalse();
  }

  @Test
  void separatorsAreTheShortestKeysBetweenBlocks() {
    assertThat(TableWriter.shortestSeparator(b("abcdefg"), b("abzz"))).isEqualTo(b("abd"));
    assertThat(TableWriter.shortestSeparator(b("abc"), b("abd"))).isEqualTo(b("abc"));
    assertThat(TableWriter.shortestSeparator(b("ab"), b("abc"))).isEqualTo(b("ab"));
    assertThat(TableWriter.shortSuccessor(b("abc"))).isEqualTo(b("b"));
    assertThat(TableWriter.shortSuccessor(new byte[] {(byte) 0xff, (byte) 0xff, 5})).isEqualTo(new byte[] {(byte) 0xff, (byte) 0xff, 6});
  }

  @Test
  void everyFlippedByteIsDetectedOrHarmless() {
    TreeMap<String, byte[]> entries = sampleEntries(40, 11);
    byte[] file = writeTable(entries, 1024);
    for (int i = 0; i < file.length; i++) {
      int at = i;
      byte[] bad = file.clone();
      bad[i] ^= 0x40;
      try {
        TableReader r = TableReader.open(new ByteArrayInput("flip", bad));
        TreeMap<String, byte[]> seen = new TreeMap<>();
        r.iterator().forEachRemaining(e -> seen.put(e.keyAsString(), e.value()));
        // Only the footer's padding and the metaindex handle are unchecked; they must not change the content.
        assertThat(seen.keySet()).as("flip at %d", at).isEqualTo(entries.keySet());
        seen.forEach((k, v) -> assertThat(v).as("flip at %d", at).isEqualTo(entries.get(k)));
      } catch (CorruptInputException | io.tfgw.core.storage.StorageException expected) {
        // detected
      }
    }
  }

  @Test
  void blockChecksumMismatchNamesFileAndOffset() {
    byte[] file = writeTable(sampleEntries(5, 1), 4096);
    file[3] ^= 1;
    assertThatThrownBy(() -> TableReader.open(new ByteArrayInput("model.index", file)).iterator().hasNext())
        .isInstanceOf(ChecksumMismatchException.class)
        .hasMessageContaining("model.index")
        .hasMessageContaining("offset 0");
  }

  @Test
  void notATableSaysSo() {
    assertThatThrownBy(() -> TableReader.open(new ByteArrayInput("x", new byte[10])))
        .hasMessageContaining("too short to be a table");
    assertThatThrownBy(() -> TableReader.open(new ByteArrayInput("x", new byte[100])))
        .hasMessageContaining("not a table file");
  }

  @Test
  void snappyCompressedBlocksAreRead() {
    // Build a table by hand whose single data block is snappy-compressed, as TF < 1.2 wrote them.
    TreeMap<String, byte[]> entries = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      entries.put("var" + i, b("value-value-value-" + i));
    }
    byte[] plain = writeTable(entries, 1 << 20);
    TableReader plainReader = TableReader.open(new ByteArrayInput("p", plain));
    // recover the raw data block: it starts at 0; its size is in the index entry
    BlockBuilder data = new BlockBuilder(16);
    entries.forEach((k, v) -> data.add(b(k), v));
    byte[] raw = data.finish();
    SnappyCompressor c = new SnappyCompressor();
    byte[] comp = new byte[c.maxCompressedLength(raw.length)];
    int n = c.compress(raw, 0, raw.length, comp, 0, comp.length);
    comp = Arrays.copyOf(comp, n);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeRaw(out, comp, 1);
    BlockHandle dataHandle = new BlockHandle(0, comp.length);
    BlockHandle meta = new BlockHandle(out.size(), 8);
    writeRaw(out, new BlockBuilder(16).finish(), 0);
    BlockBuilder index = new BlockBuilder(1);
    index.add(TableWriter.shortSuccessor(b("var9")), dataHandle.encode());
    byte[] indexBytes = index.finish();
    BlockHandle indexHandle = new BlockHandle(out.size(), indexBytes.length);
    writeRaw(out, indexBytes, 0);
    ByteArrayOutputStream footer = new ByteArrayOutputStream();
    meta.encodeTo(footer);
    indexHandle.encodeTo(footer);
    byte[] f = Arrays.copyOf(footer.toByteArray(), 48);
    System.arraycopy(plain, plain.length - 8, f, 40, 8);
    out.write(f, 0, 48);

    TableReader r = TableReader.open(new ByteArrayInput("snappy.index", out.toByteArray()));
    List<String> keys = new ArrayList<>();
    r.iterator().forEachRemaining(e -> {
      keys.add(e.keyAsString());
      assertThat(e.value()).isEqualTo(entries.get(e.keyAsString()));
    });
    assertThat(keys).containsExactlyElementsOf(entries.keySet());
    assertThat(plainReader.get(b("var7"))).hasValue(b("value-value-value-7"));
  }

  @Test
  void snappyBlockClaimingAHugeSizeIsRefusedBeforeAllocating() {
    byte[] bomb = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0, 0};
    assertThatThrownBy(() -> SnappyBlocks.uncompress(bomb, 0, bomb.length, "bomb"))
        .isInstanceOf(CorruptInputException.class).hasMessageContaining("cannot do");
  }

  private static void writeRaw(ByteArrayOutputStream out, byte[] contents, int type) {
    out.write(contents, 0, contents.length);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(contents);
    crc.update(type);
    int masked = Crc32c.mask((int) crc.getValue());
    out.write(type);
    out.write(masked);
    out.write(masked >>> 8);
    out.write(masked >>> 16);
    out.write(masked >>> 24);
  }
}
