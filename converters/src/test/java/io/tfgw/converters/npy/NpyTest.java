package io.tfgw.converters.npy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NpyTest {
  /** A .npy file as NumPy writes it: magic, version 1.0, padded header, data. */
  static byte[] npy(String header, byte[] data) {
    StringBuilder h = new StringBuilder(header);
    while ((10 + h.length() + 1) % 64 != 0) {
      h.append(' ');
    }
    h.append('\n');
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x93);
    out.writeBytes("NUMPY".getBytes(StandardCharsets.ISO_8859_1));
    out.write(1);
    out.write(0);
    out.write(h.length() & 0xff);
    out.write(h.length() >> 8);
    out.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data);
    return out.toByteArray();
  }

  @Test
  void writesAndReadsBack() {
    byte[] canonical = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3)
        .putFloat(4).putFloat(5).putFloat(6).array();
    byte[] file = Npy.write(DType.FLOAT, Shape.of(2, 3), canonical);
    assertThat(new String(file, 10, 60, StandardCharsets.ISO_8859_1))
        .contains("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    assertThat(file.length % 64).isEqualTo(24 % 64);
    InMemoryTensorData back = Npy.read(file, "t.npy");
    assertThat(back.dtype()).isEqualTo(DType.FLOAT);
    assertThat(back.shape()).isEqualTo(Shape.of(2, 3));
    assertThat(back.bytes()).isEqualTo(canonical);
    assertThat(Npy.read(Npy.write(DType.INT64, Shape.of(1), new byte[8]), "v").shape()).isEqualTo(Shape.of(1));
  }

  @Test
  void bigEndianAndFortranOrderBecomeCanonical() {
    // [[1, 2, 3], [4, 5, 6]] as big-endian int32 in column-major order: 1 4 2 5 3 6
    ByteBuffer be = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
    for (int v : new int[] {1, 4, 2, 5, 3, 6}) {
      be.putInt(v);
    }
    InMemoryTensorData t = Npy.read(npy("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", be.array()),
        "f.npy");
    ByteBuffer got = ByteBuffer.wrap(t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : new int[] {1, 2, 3, 4, 5, 6}) {
      assertThat(got.getInt()).isEqualTo(v);
    }
  }

  @Test
  void boolsScalarsAndByteStrings() {
    InMemoryTensorData b = Npy.read(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
        new byte[] {1, 0, 5}), "b.npy");
    assertThat(b.bytes()).containsExactly(1, 0, 1);
    InMemoryTensorData s = Npy.read(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(2.5).array()), "s.npy");
    assertThat(s.shape()).isEqualTo(Shape.scalar());
    InMemoryTensorData str = Npy.read(npy("{'descr': '|S3', 'fortran_order': False, 'shape': (2,), }",
        new byte[] {'a', 'b', 0, 'x', 'y', 'z'}), "str.npy");
    assertThat(str.dtype()).isEqualTo(DType.STRING);
    assertThat(str.canonicalLength()).isEqualTo(8 + 2 + 8 + 3);
  }

  @Test
  void corruptFilesAreExplained() {
    assertThatThrownBy(() -> Npy.read("not an npy file".getBytes(StandardCharsets.UTF_8), "x.npy"))
        .isInstanceOf(CorruptInputException.class).hasMessageContaining("x.npy is not a .npy file");
    byte[] truncated = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", new byte[8]);
    assertThatThrownBy(() -> Npy.read(truncated, "t.npy")).hasMessageContaining("needs 40 bytes");
  }
}
