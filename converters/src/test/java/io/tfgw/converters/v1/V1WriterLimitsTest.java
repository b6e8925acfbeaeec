package io.tfgw.converters.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.storage.memory.MemoryStorage;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * TF's TensorSliceWriter refuses a slice whose conservative size estimate exceeds 2 GiB
 * ({@code TensorSliceWriter::SaveData}: name and slice fields + 1 KiB + the longest encoding of every element, plus
 * the bytes of strings); we refuse the same slices, before writing anything. A 2 GiB tensor is too big to hand to
 * TF in a test, so the estimate is checked against TF's formula with tensors that are never read.
 */
class V1WriterLimitsTest {
  private final MemoryStorage storage = new MemoryStorage();
  private final Location file = Location.parse("memory://t/model.ckpt");

  /** A fixed-size tensor whose values must not be needed. */
  private static TensorData unread(DType dtype, long n) {
    return new TensorData() {
      @Override
      public DType dtype() {
        return dtype;
      }

      @Override
      public Shape shape() {
        return Shape.of(n);
      }

      @Override
      public InputStream open() {
        throw new AssertionError("the size limit must be checked without reading values");
      }
    };
  }

  /** Strings of the given lengths, all zero bytes, produced (and skipped) without memory. */
  private static TensorData zeroStrings(long... lengths) {
    return new TensorData() {
      @Override
      public DType dtype() {
        return DType.STRING;
      }

      @Override
      public Shape shape() {
        return Shape.of(lengths.length);
      }

      @Override
      public InputStream open() {
        return new InputStream() {
          int element = -1;
          int headerPos = 8;
          long left;

          private boolean advance() {
            while (headerPos >= 8 && left == 0) {
              if (++element >= lengths.length) {
                return false;
              }
              headerPos = 0;
              left = lengths[element];
            }
            return true;
          }

          @Override
          public int read() {
            if (!advance()) {
              return -1;
            }
            if (headerPos < 8) {
              return (int) (lengths[element] >>> (8 * headerPos++)) & 0xff;
            }
            left--;
            return 0;
          }

          @Override
          public long skip(long n) {
            if (!advance() || headerPos < 8) {
              return read() < 0 ? 0 : 1;
            }
            long k = Math.min(n, left);
            left -= k;
            return k;
          }
        };
      }
    };
  }

  private static V1SliceEncoder encoder(TensorData data) {
    return new V1SliceEncoder("v", TensorSlice.full(data.shape().rank()).toProto(), data);
  }

  @Test
  void theEstimateIsTensorFlows() {
    // name "v": 3 bytes; a rank-1 full slice {extent {}}: 4 bytes; 1 KiB of slack; 4 bytes per float32
    assertThat(encoder(unread(DType.FLOAT, 10)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 40);
    assertThat(encoder(unread(DType.INT64, 10)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 100);
    assertThat(encoder(unread(DType.UINT16, 10)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 30);
    assertThat(encoder(unread(DType.BOOL, 10)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 10);
    assertThat(encoder(unread(DType.COMPLEX128, 10)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 160);
    assertThat(encoder(zeroStrings(5, 0, 7)).tensorFlowSizeEstimate()).isEqualTo(3 + 4 + 1024 + 30 + 12);
  }

  @Test
  void aSliceAtTheLimitIsWrittenOneElementMoreIsRefused() {
    long atLimit = ((1L << 31) - 1031) / 4; // estimate 2^31 - 1: TF writes it
    assertThatCode(() -> encoder(unread(DType.FLOAT, atLimit)).checkTensorFlowSizeLimit()).doesNotThrowAnyException();
    assertThatThrownBy(() -> encoder(unread(DType.FLOAT, atLimit + 1)).checkTensorFlowSizeLimit())
        .isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("its estimate here: 2147483651 bytes");
  }

  @Test
  void aTooLargeTensorIsRefusedBeforeAnythingIsWritten() {
    try (V1Writer w = new V1Writer(storage, file)) {
      w.add("small", new InMemoryTensorData(DType.FLOAT, Shape.of(2), new byte[8]));
      w.add("embedding/big", unread(DType.FLOAT, 1L << 29));
      assertThatThrownBy(w::commit).isInstanceOf(UnsupportedInputException.class)
          .hasMessage("Tensor 'embedding/big' (float32[536870912]) is too large for a V1 checkpoint: TensorFlow's V1 "
              + "writer refuses a slice whose serialized size may exceed 2 GiB (its estimate here: 2147484691 bytes), "
              + "and no V1 reader can parse one. Convert to V2 instead (--to v2), or save the variable partitioned "
              + "into smaller slices.");
    }
    assertThat(storage.exists(file)).isFalse();
  }

  @Test
  void stringsCountTheirBytes() {
    try (V1Writer w = new V1Writer(storage, file)) {
      w.add("vocab", zeroStrings(1L << 30, 1L << 30));
      assertThatThrownBy(w::commit).isInstanceOf(UnsupportedInputException.class)
          .hasMessageContaining("Tensor 'vocab' (string[2]) is too large for a V1 checkpoint")
          .hasMessageContaining("(its estimate here: " + (7 + 4 + 1024 + 20 + (1L << 31)) + " bytes)");
    }
    assertThat(storage.exists(file)).isFalse();
  }
}
