package io.tfgw.converters.hdf5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HDF5 written and read back through a non-local storage (jhdf over our channel adapter, temp file + atomic copy). */
class Hdf5RoundTripTest {
  private final MemoryStorage storage = new MemoryStorage();
  private final Location file = Location.parse("memory://t/out/weights.h5");

  @AfterEach
  void noLeaks() {
    storage.assertNoOpenFiles();
  }

  static byte[] bytes(TensorData t) throws Exception {
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
    if (dtype == DType.FLOAT) { // finite values
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      Random r = new Random(seed);
      for (int i = 0; i < b.length / 4; i++) {
        buf.putFloat(i * 4, (float) r.nextGaussian());
      }
    }
    return new InMemoryTensorData(dtype, shape, b);
  }

  @Test
  void kerasLayoutRoundTripsLayersWeightsAndOptimizerWeights() throws Exception {
    List<String> names = List.of("dense_2/kernel", "dense_2/bias", "dense_10/kernel", "conv/block/w",
        "optimizer_weights/Adam/iterations");
    List<InMemoryTensorData> values = List.of(random(DType.FLOAT, Shape.of(3, 2), 1), random(DType.FLOAT, Shape.of(2), 2),
        random(DType.FLOAT, Shape.of(2, 4), 3), random(DType.DOUBLE, Shape.of(2, 2, 2), 4),
        random(DType.INT64, Shape.scalar(), 5));
    try (Hdf5Writer w = new Hdf5Writer(storage, file, Hdf5Writer.Layout.KERAS)) {
      for (int i = 0; i < names.size(); i++) {
        w.add(names.get(i), values.get(i));
      }
      w.commit();
    }
    try (Hdf5Reader r = Hdf5Reader.open(storage, file)) {
      assertThat(r.layout()).isEqualTo("keras");
      assertThat(r.kerasVersion()).isNotEqualTo("1");
      assertThat(r.backend()).isEqualTo("tensorflow");
      assertThat(r.layers().stream().map(Hdf5Reader.LayerWeights::layer)).containsExactly("dense_2", "dense_10", "conv");
      assertThat(r.layers().get(0).weights().stream().map(Hdf5Reader.Weight::weightName))
          .containsExactly("dense_2/kernel:0", "dense_2/bias:0");
      assertThat(r.layers().get(2).weights().get(0).datasetPath()).isEqualTo("/conv/conv/block/w:0");
      assertThat(r.optimizerWeights()).hasSize(1);
      for (int i = 0; i < names.size(); i++) {
        TensorInfo info = r.require(names.get(i));
        assertThat(info.dtype()).isEqualTo(values.get(i).dtype());
        assertThat(info.shape()).isEqualTo(values.get(i).shape());
        assertThat(bytes(r.read(names.get(i)))).as(names.get(i)).isEqualTo(values.get(i).bytes());
      }
    }
  }

  @Test
  void plainLayoutRoundTripsEveryWritableDtype() throws Exception {
    List<DType> dtypes = List.of(DType.FLOAT, DType.DOUBLE, DType.INT8, DType.INT16, DType.INT32, DType.INT64,
        DType.UINT8, DType.UINT16, DType.UINT32, DType.UINT64, DType.BOOL);
    try (Hdf5Writer w = new Hdf5Writer(storage, file, Hdf5Writer.Layout.PLAIN)) {
      for (int i = 0; i < dtypes.size(); i++) {
        w.add("t/" + dtypes.get(i).pythonName(), random(dtypes.get(i), Shape.of(2, 3), i));
      }
      w.add("words", InMemoryTensorData.ofStrings(Shape.of(2), List.of("ab".getBytes(), "c".getBytes())));
      w.commit();
    }
    try (Hdf5Reader r = Hdf5Reader.open(storage, file)) {
      assertThat(r.layout()).isEqualTo("plain");
      for (int i = 0; i < dtypes.size(); i++) {
        String name = "t/" + dtypes.get(i).pythonName();
        assertThat(r.require(name).dtype()).as(name).isEqualTo(dtypes.get(i));
        assertThat(bytes(r.read(name))).as(name).isEqualTo(random(dtypes.get(i), Shape.of(2, 3), i).bytes());
      }
      assertThat(bytes(r.read("words")))
          .isEqualTo(InMemoryTensorData.ofStrings(Shape.of(2), List.of("ab".getBytes(), "c".getBytes())).bytes());
    }
  }

  @Test
  void unwritableTensorsAreRefusedBeforeWriting() {
    assertThatThrownBy(() -> Hdf5Writer.check(List.of(new TensorInfo("h", DType.HALF, Shape.of(2)),
        new TensorInfo("e", DType.FLOAT, Shape.of(0, 3))), Hdf5Writer.Layout.KERAS))
        .isInstanceOf(UnsupportedInputException.class).hasMessageContaining("h (float16)").hasMessageContaining("e (empty)");
    assertThatThrownBy(() -> Hdf5Writer.check(List.of(new TensorInfo("a", DType.FLOAT, Shape.of(1)),
        new TensorInfo("a/b", DType.FLOAT, Shape.of(1))), Hdf5Writer.Layout.PLAIN))
        .isInstanceOf(WrongInputException.class).hasMessageContaining("'a' is both a tensor and the group");
    assertThat(storage.exists(file)).isFalse();
  }

  @Test
  void attributeSplittingFollowsNumpyArraySplit() {
    List<String> names = new ArrayList<>(Collections.nCopies(3000, "x".repeat(40)));
    List<List<String>> chunks = Hdf5Writer.split(names);
    // 3000 * 41 bytes = 123000: two chunks of 61500 fit; numpy.array_split gives equal halves
    assertThat(chunks).hasSize(2);
    assertThat(chunks.get(0)).hasSize(1500);
    assertThat(Hdf5Writer.split(List.of("a", "b"))).hasSize(1);
    List<String> odd = new ArrayList<>(Collections.nCopies(3001, "y".repeat(63)));
    List<List<String>> three = Hdf5Writer.split(odd); // 3001 * 64 = 192064 bytes -> 3 chunks: 1001, 1000, 1000
    assertThat(three.stream().map(List::size)).containsExactly(1001, 1000, 1000);
    three.forEach(c -> assertThat(Hdf5Writer.fixedLengthBytes(c)).isLessThanOrEqualTo(Hdf5Writer.ATTRIBUTE_LIMIT));
  }
}
