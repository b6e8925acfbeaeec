package io.tfgw.converters.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SafetensorsRoundTripTest {
  private final MemoryStorage storage = new MemoryStorage();
  private final Location file = Location.parse("memory://t/model.safetensors");

  @AfterEach
  void noLeaks() {
    storage.assertNoOpenFiles();
  }

  static InMemoryTensorData random(DType dtype, Shape shape, long seed) {
    byte[] b = new byte[(int) shape.byteSize(dtype)];
    new Random(seed).nextBytes(b);
    return new InMemoryTensorData(dtype, shape, b);
  }

  @Test
  void headerIsAlignedOrderedAndEveryTensorReadsBack() throws Exception {
    List<SafetensorsWriter.Tensor> tensors = List.of(
        new SafetensorsWriter.Tensor("b", random(DType.UINT8, Shape.of(3), 1)),
        new SafetensorsWriter.Tensor("a", random(DType.DOUBLE, Shape.of(2, 2), 2)),
        new SafetensorsWriter.Tensor("c", random(DType.BFLOAT16, Shape.of(5), 3)),
        new SafetensorsWriter.Tensor("s", random(DType.INT32, Shape.scalar(), 4)),
        new SafetensorsWriter.Tensor("e", random(DType.FLOAT, Shape.of(0), 5)));
    SafetensorsWriter.write(storage.outputFile(file), tensors, Map.of("format", "tf"));
    byte[] all = storage.inputFile(file).readAllBytes();
    long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(n % 8).isZero();
    String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"tf\"},\"a\":{\"dtype\":\"F64\",\"shape\":[2,2],"
        + "\"data_offsets\":[0,32]}");
    assertThat(header.indexOf("\"c\"")).isLessThan(header.indexOf("\"b\"")); // larger elements first
    try (SafetensorsReader r = SafetensorsReader.open(storage, file)) {
      assertThat(r.metadata()).containsEntry("format", "tf");
      assertThat(r.tensors().stream().map(t -> t.name())).containsExactly("a", "b", "c", "e", "s");
      for (SafetensorsWriter.Tensor t : tensors) {
        try (InputStream in = r.read(t.name()).open()) {
          assertThat(in.readAllBytes()).as(t.name()).isEqualTo(((InMemoryTensorData) t.data()).bytes());
        }
        assertThat(r.require(t.name()).dtype()).isEqualTo(t.data().dtype());
      }
    }
  }
}
