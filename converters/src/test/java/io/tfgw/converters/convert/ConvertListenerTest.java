package io.tfgw.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.converters.v2.BundleWriter;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.storage.memory.MemoryStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The progress a checkpoint conversion reports: every tensor once, and the bytes it announced. */
class ConvertListenerTest {
  /** Records every call in order. */
  static final class Recorder implements ConvertListener {
    final List<String> events = new ArrayList<>();
    int startedTensors;
    long startedBytes;
    long doneBytes;
    final List<String> done = new ArrayList<>();

    @Override
    public void started(int tensors, long bytes) {
      events.add("started " + tensors + " " + bytes);
      startedTensors += tensors;
      startedBytes += bytes;
    }

    @Override
    public void tensorDone(String name, long bytes) {
      events.add("done " + name + " " + bytes);
      done.add(name);
      doneBytes += bytes;
    }
  }

  private static final Location SRC = Location.parse("memory://src/model.ckpt-7");

  /** a: float 3x4 (48 bytes), b: int64 5 (40), part: float 4x3 in two slices (48), s: two strings (0 counted). */
  private static MemoryStorage checkpoint() {
    MemoryStorage storage = new MemoryStorage();
    try (BundleWriter w = new BundleWriter(storage, SRC)) {
      w.add("a", new InMemoryTensorData(DType.FLOAT, Shape.of(3, 4), new byte[48]));
      w.add("b", new InMemoryTensorData(DType.INT64, Shape.of(5), new byte[40]));
      w.addSlice("part", Shape.of(4, 3), TensorSlice.parse("0,1:-"),
          new InMemoryTensorData(DType.FLOAT, Shape.of(1, 3), new byte[12]));
      w.addSlice("part", Shape.of(4, 3), TensorSlice.parse("1,3:-"),
          new InMemoryTensorData(DType.FLOAT, Shape.of(3, 3), new byte[36]));
      w.add("s", InMemoryTensorData.ofStrings(Shape.of(2),
          List.of("x".getBytes(StandardCharsets.UTF_8), "yz".getBytes(StandardCharsets.UTF_8))));
      w.commit();
    }
    return storage;
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1", "v2"})
  void everyTensorIsReportedOnceWithTheAnnouncedTotals(String to) {
    MemoryStorage storage = checkpoint();
    Recorder r = new Recorder();
    ConvertResult result = new CheckpointConverter(storage).convert(SRC, Location.parse("memory://dst/out/model.ckpt"),
        ConvertOptions.to(to).withCarryMeta(false).withNames(new NamePlan().rename("^a$=renamed")), r);

    assertThat(r.events.get(0)).isEqualTo("started 4 136");
    assertThat(r.startedTensors).isEqualTo(4);
    assertThat(r.startedBytes).isEqualTo(48 + 40 + 48);
    assertThat(r.done).containsExactlyInAnyOrder("renamed", "b", "part", "s");
    assertThat(r.doneBytes).isEqualTo(r.startedBytes);
    assertThat(r.events).contains("done renamed 48", "done b 40", "done part 48", "done s 0");
    assertThat(result.checkpoints().get(0).bytes()).isEqualTo(r.startedBytes);
    assertThat(result.checkpoints().get(0).tensors()).isEqualTo(r.startedTensors);
  }

  @ParameterizedTest
  @ValueSource(strings = {"v2"})
  void mergedPartitionsCountOnceAndTheOldSignatureStillWorks(String to) {
    MemoryStorage storage = checkpoint();
    Recorder r = new Recorder();
    ConvertOptions options = ConvertOptions.to(to).withCarryMeta(false).withMergePartitions(true);
    new CheckpointConverter(storage).convert(SRC, Location.parse("memory://dst/a/model.ckpt"), options, r);
    assertThat(r.events).containsExactly("started 4 136", "done a 48", "done b 40", "done part 48", "done s 0");
    // the three-argument form reports to nobody and converts the same
    ConvertResult plain = new CheckpointConverter(storage).convert(SRC, Location.parse("memory://dst/b/model.ckpt"), options);
    assertThat(plain.checkpoints().get(0).bytes()).isEqualTo(136);
  }
}
