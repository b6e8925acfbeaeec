package io.tfgw.converters.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorHashes;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BundleRoundTripTest {
  private final MemoryStorage storage = new MemoryStorage();
  private final Location prefix = Location.parse("memory://t/ckpt/model.ckpt-7");

  @AfterEach
  void noLeaks() {
    storage.assertNoOpenFiles();
  }

  static byte[] bytesOf(TensorData t) throws Exception {
    try (InputStream in = t.open()) {
      return in.readAllBytes();
    }
  }

  static InMemoryTensorData random(DType dtype, Shape shape, long seed) {
    byte[] b = new byte[(int) shape.byteSize(dtype)];
    new Random(seed).nextBytes(b);
    if (dtype == DType.BOOL) {
      for (int i = 0; i < b.length; i++) {
        b[i] &= 1;
      }
    }
    return new InMemoryTensorData(dtype, shape, b);
  }

  static InMemoryTensorData strings(Shape shape, String... values) {
    List<byte[]> l = new ArrayList<>();
    for (String v : values) {
      l.add(v.getBytes(StandardCharsets.UTF_8));
    }
    return InMemoryTensorData.ofStrings(shape, l);
  }

  @Test
  void everyDtypeRoundTripsWithIdenticalCanonicalBytes() throws Exception {
    Map<String, TensorData> written = new LinkedHashMap<>();
    long seed = 0;
    for (DType t : DType.values()) {
      if (t.isFixedSize()) {
        written.put("fixed/" + t.pythonName(), random(t, Shape.of(3, 5), seed++));
        written.put("scalar/" + t.pythonName(), random(t, Shape.scalar(), seed++));
        written.put("empty/" + t.pythonName(), random(t, Shape.of(0, 4), seed++));
      }
    }
    written.put("strings", strings(Shape.of(2, 2), "", "a", "binary\0\u00ff", "ünïcødé"));
    written.put("string_scalar", strings(Shape.scalar(), "x".repeat(70_000)));
    written.put("string_empty", strings(Shape.of(0)));
    try (BundleWriter w = new BundleWriter(storage, prefix)) {
      written.forEach(w::add);
      w.commit();
    }
    try (BundleReader r = BundleReader.open(storage, prefix)) {
      assertThat(r.tensors()).extracting(TensorInfo::name).containsExactlyInAnyOrderElementsOf(written.keySet());
      for (Map.Entry<String, TensorData> e : written.entrySet()) {
        TensorInfo info = r.require(e.getKey());
        assertThat(info.dtype()).isEqualTo(e.getValue().dtype());
        assertThat(info.shape()).isEqualTo(e.getValue().shape());
        assertThat(bytesOf(r.read(e.getKey()))).as(e.getKey()).isEqualTo(bytesOf(e.getValue()));
        assertThat(TensorHashes.sha256Hex(r.read(e.getKey()))).isEqualTo(TensorHashes.sha256Hex(e.getValue()));
      }
    }
    assertThat(TensorHashes.sha256Hex(random(DType.FLOAT, Shape.of(0), 1)))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void partitionedVariablesStayPartitionedAndAssemble() throws Exception {
    Shape full = Shape.of(4, 3);
    InMemoryTensorData whole = random(DType.FLOAT, full, 42);
    byte[] all = whole.bytes();
    TensorSlice top = TensorSlice.parse("0,1:-");
    TensorSlice bottom = TensorSlice.parse("1,3:-");
    try (BundleWriter w = new BundleWriter(storage, prefix, 2, 1)) {
      w.addSlice("part/var", full, bottom, new InMemoryTensorData(DType.FLOAT, Shape.of(3, 3),
          java.util.Arrays.copyOfRange(all, 12, 48)), 1);
      w.addSlice("part/var", full, top, new InMemoryTensorData(DType.FLOAT, Shape.of(1, 3),
          java.util.Arrays.copyOfRange(all, 0, 12)), 0);
      w.add("plain", whole, 1);
      w.commit();
    }
    assertThat(storage.exists(BundleFiles.data(prefix, 0, 2))).isTrue();
    assertThat(storage.exists(BundleFiles.data(prefix, 1, 2))).isTrue();
    try (BundleReader r = BundleReader.open(storage, prefix)) {
      TensorInfo info = r.require("part/var");
      assertThat(info.isPartitioned()).isTrue();
      assertThat(info.sliceSpecs()).containsExactly("4 3 1,3:-", "4 3 0,1:-");
      assertThat(bytesOf(r.read("part/var"))).isEqualTo(all);
      assertThat(bytesOf(r.readSlice("part/var", top))).isEqualTo(java.util.Arrays.copyOfRange(all, 0, 12));
      assertThat(TensorHashes.sha256Hex(r.read("part/var"))).isEqualTo(TensorHashes.sha256Hex(whole));
    }
  }

  @Test
  void aFlippedDataByteFailsNamingTheTensorFileAndOffset() throws Exception {
    try (BundleWriter w = new BundleWriter(storage, prefix)) {
      w.add("a", random(DType.FLOAT, Shape.of(10), 1));
      w.add("b", random(DType.FLOAT, Shape.of(10), 2));
      w.add("s", strings(Shape.of(2), "hello", "world"));
      w.commit();
    }
    Location data = BundleFiles.data(prefix, 0, 1);
    byte[] bytes = storage.inputFile(data).readAllBytes();
    for (int i = 0; i < bytes.length; i++) {
      byte[] bad = bytes.clone();
      bad[i] ^= 0x10;
      storage.outputFile(data).write(bad);
      try (BundleReader r = BundleReader.open(storage, prefix)) {
        String victim = i < 40 ? "a" : i < 80 ? "b" : "s";
        assertThatThrownBy(() -> TensorHashes.sha256Hex(r.read(victim)))
            .as("flip at %d", i)
            .isInstanceOf(io.tfgw.core.CorruptInputException.class)
            .hasMessageContaining("'" + victim + "'")
            .hasMessageContaining(data.toString());
      }
    }
    storage.outputFile(data).write(bytes);
    bytes[45] ^= 1;
    storage.outputFile(data).write(bytes);
    try (BundleReader r = BundleReader.open(storage, prefix)) {
      assertThatThrownBy(() -> TensorHashes.sha256Hex(r.read("b")))
          .isInstanceOf(ChecksumMismatchException.class)
          .hasMessageContaining("tensor 'b' (" + data + ", offset 40, 40 bytes)");
    }
  }

  @Test
  void missingShardAndMismatchedDataAreExplained() {
    try (BundleWriter w = new BundleWriter(storage, prefix, 2, 1)) {
      w.add("a", random(DType.FLOAT, Shape.of(10), 1), 0);
      w.add("b", random(DType.FLOAT, Shape.of(10), 2), 1);
      w.commit();
    }
    storage.outputFile(BundleFiles.data(prefix, 1, 2)).write(new byte[8]);
    assertThatThrownBy(() -> BundleReader.open(storage, prefix)).isInstanceOf(WrongInputException.class)
        .hasMessageContaining("different saves");
    storage.delete(BundleFiles.data(prefix, 1, 2));
    assertThatThrownBy(() -> BundleReader.open(storage, prefix)).isInstanceOf(WrongInputException.class)
        .hasMessageContaining("model.ckpt-7.data-00001-of-00002 is missing");
  }

  @Test
  void unknownTensorNamesGetSuggestions() {
    try (BundleWriter w = new BundleWriter(storage, prefix)) {
      w.add("dense/kernel", random(DType.FLOAT, Shape.of(2), 1));
      w.add("dense/bias", random(DType.FLOAT, Shape.of(2), 1));
      w.commit();
    }
    try (BundleReader r = BundleReader.open(storage, prefix)) {
      assertThatThrownBy(() -> r.read("dense/kernal")).hasMessageContaining("similar names: dense/kernel");
    }
  }

  @Test
  void abortedWriterLeavesNothing() {
    try (BundleWriter w = new BundleWriter(storage, prefix)) {
      w.add("a", random(DType.FLOAT, Shape.of(10), 1));
    }
    assertThat(storage.list(prefix.parent())).isEmpty();
  }

  /**
   * A V2 to V2 copy takes each tensor's crc from the source instead of computing it again; the result must still be
   * byte-identical, and a corrupt source must still fail the copy with nothing written.
   */
  @Test
  void copyingABundleReusesVerifiedCrcsAndStillRefusesCorruptData() {
    try (BundleWriter w = new BundleWriter(storage, prefix)) {
      w.add("a", random(DType.FLOAT, Shape.of(1000), 1));
      w.add("b", random(DType.INT64, Shape.of(7, 3), 2));
      w.add("s", strings(Shape.of(2), "hello", "world"));
      w.commit();
    }
    Location copy = Location.parse("memory://t/copy/model.ckpt");
    try (BundleReader r = BundleReader.open(storage, prefix); BundleWriter w = new BundleWriter(storage, copy)) {
      assertThat(r.read("a").verifiedCrc32c()).isPresent();
      assertThat(r.read("s").verifiedCrc32c()).isEmpty(); // strings are re-encoded, their crc computed
      for (TensorInfo t : r.tensors()) {
        w.add(t.name(), r.read(t.name()));
      }
      w.commit();
    }
    assertThat(storage.inputFile(BundleFiles.data(copy, 0, 1)).readAllBytes())
        .isEqualTo(storage.inputFile(BundleFiles.data(prefix, 0, 1)).readAllBytes());
    assertThat(storage.inputFile(BundleFiles.index(copy)).readAllBytes())
        .isEqualTo(storage.inputFile(BundleFiles.index(prefix)).readAllBytes());

    Location data = BundleFiles.data(prefix, 0, 1);
    byte[] bytes = storage.inputFile(data).readAllBytes();
    bytes[4000 + 5] ^= 1; // inside "b" (after the 4000 bytes of "a")
    storage.outputFile(data).write(bytes);
    Location second = Location.parse("memory://t/copy2/model.ckpt");
    try (BundleReader r = BundleReader.open(storage, prefix); BundleWriter w = new BundleWriter(storage, second)) {
      w.add("a", r.read("a"));
      assertThatThrownBy(() -> w.add("b", r.read("b"))).isInstanceOf(ChecksumMismatchException.class)
          .hasMessageContaining("'b'");
    }
    assertThat(storage.list(second.parent())).isEmpty();
  }
}
