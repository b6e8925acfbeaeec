package io.tfgw.converters.v2;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.io.Crc32c;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.table.TableWriter;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.proto.BundleEntryProto;
import io.tfgw.proto.BundleHeaderProto;
import io.tfgw.proto.VersionDef;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Bundles written on big-endian machines (s390x) mark {@code endianness: BIG} and hold byte-swapped elements, with
 * crcs over the stored bytes. TF cannot be run big-endian here, so the file is built by hand from the format rules.
 */
class BigEndianBundleTest {
  @Test
  void bigEndianBundlesReadAsLittleEndianCanonicalBytes() throws Exception {
    MemoryStorage storage = new MemoryStorage();
    Location prefix = Location.parse("memory://be/model");
    Map<String, InMemoryTensorData> tensors = new LinkedHashMap<>();
    tensors.put("f32", BundleRoundTripTest.random(DType.FLOAT, Shape.of(3, 2), 1));
    tensors.put("i16", BundleRoundTripTest.random(DType.INT16, Shape.of(5), 2));
    tensors.put("c64", BundleRoundTripTest.random(DType.COMPLEX64, Shape.of(2), 3));
    tensors.put("f64", BundleRoundTripTest.random(DType.DOUBLE, Shape.scalar(), 4));
    tensors.put("u8", BundleRoundTripTest.random(DType.UINT8, Shape.of(7), 5));

    ByteArrayOutputStream data = new ByteArrayOutputStream();
    TreeMap<String, BundleEntryProto> entries = new TreeMap<>();
    for (Map.Entry<String, InMemoryTensorData> e : tensors.entrySet()) {
      byte[] le = e.getValue().bytes();
      byte[] be = le.clone();
      int unit = e.getValue().dtype().swapUnit();
      for (int i = 0; i < be.length; i += unit) {
        for (int k = 0; k < unit; k++) {
          be[i + k] = le[i + unit - 1 - k];
        }
      }
      entries.put(e.getKey(), BundleEntryProto.newBuilder().setDtypeValue(e.getValue().dtype().number())
          .setShape(BundleWriter.shapeProto(e.getValue().shape())).setOffset(data.size()).setSize(be.length)
          .setCrc32C(Crc32c.mask(Crc32c.of(be))).build());
      data.write(be);
    }
    storage.outputFile(BundleFiles.data(prefix, 0, 1)).write(data.toByteArray());
    try (AtomicOutputStream out = storage.outputFile(BundleFiles.index(prefix)).create()) {
      TableWriter t = new TableWriter(out);
      t.add(new byte[0], BundleHeaderProto.newBuilder().setNumShards(1).setEndianness(BundleHeaderProto.Endianness.BIG)
          .setVersion(VersionDef.newBuilder().setProducer(1)).build().toByteArray());
      for (Map.Entry<String, BundleEntryProto> e : entries.entrySet()) {
        t.add(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue().toByteArray());
      }
      t.finish();
      out.commit();
    }

    try (BundleReader r = BundleReader.open(storage, prefix)) {
      assertThat(r.isBigEndian()).isTrue();
      for (Map.Entry<String, InMemoryTensorData> e : tensors.entrySet()) {
        assertThat(BundleRoundTripTest.bytesOf(r.read(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue().bytes());
      }
    }
  }
}
