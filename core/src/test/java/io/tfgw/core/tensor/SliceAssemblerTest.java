package io.tfgw.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SliceAssemblerTest {
  /** A full int32 tensor whose element at flat index i is i. */
  private static int[] iota(Shape s) {
    int[] v = new int[(int) s.numElements()];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return v;
  }

  private static TensorData sliceOf(int[] full, Shape shape, TensorSlice slice) {
    Shape ss = slice.sliceShape(shape);
    ByteBuffer out = ByteBuffer.allocate((int) ss.numElements() * 4).order(ByteOrder.LITTLE_ENDIAN);
    long[] strides = shape.strides();
    long[] idx = new long[shape.rank()];
    for (long n = 0; n < ss.numElements(); n++) {
      long rem = n;
      long flat = 0;
      for (int d = shape.rank() - 1; d >= 0; d--) {
        idx[d] = rem % ss.dim(d);
        rem /= ss.dim(d);
        flat += (idx[d] + (slice.isFullAt(d) ? 0 : slice.start(d))) * strides[d];
      }
      out.putInt(full[(int) flat]);
    }
    return new InMemoryTensorData(DType.INT32, ss, out.array());
  }

  private static int[] read(TensorData t) throws Exception {
    try (InputStream in = t.open()) {
      ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
      int[] v = new int[b.remaining() / 4];
      b.asIntBuffer().get(v);
      return v;
    }
  }

  private static void check(Shape shape, String... specs) throws Exception {
    int[] full = iota(shape);
    List<SliceAssembler.Part> parts = new ArrayList<>();
    for (String spec : specs) {
      TensorSlice s = TensorSlice.parse(spec);
      parts.add(new SliceAssembler.Part(s, sliceOf(full, shape, s)));
    }
    TensorData t = SliceAssembler.assemble("v", DType.INT32, shape, parts);
    assertThat(read(t)).as(String.join(" ", specs)).containsExactly(full);
  }

  @Test
  void joinsSlicesAlongAnyAxisInAnyOrder() throws Exception {
    check(Shape.of(5, 3), "0,2:-", "2,3:-");
    check(Shape.of(5, 3), "2,3:-", "0,2:-");
    check(Shape.of(4, 6), "-:0,2", "-:2,1", "-:3,3");
    check(Shape.of(4, 6), "0,2:0,3", "0,2:3,3", "2,2:0,6");
    check(Shape.of(2, 3, 4), "-:0,1:-", "-:1,2:-");
    check(Shape.of(2, 3, 4), "0,1:-:0,2", "0,1:-:2,2", "1,1:-:-");
    check(Shape.of(7), "0,7");
  }

  @Test
  void joinsStringSlices() throws Exception {
    Shape shape = Shape.of(3, 2);
    List<byte[]> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.add(("s" + "x".repeat(i)).getBytes(StandardCharsets.UTF_8));
    }
    TensorData left = InMemoryTensorData.ofStrings(Shape.of(3, 1), List.of(all.get(0), all.get(2), all.get(4)));
    TensorData right = InMemoryTensorData.ofStrings(Shape.of(3, 1), List.of(all.get(1), all.get(3), all.get(5)));
    TensorData t = SliceAssembler.assemble("s", DType.STRING, shape, List.of(
        new SliceAssembler.Part(TensorSlice.parse("-:1,1"), right), new SliceAssembler.Part(TensorSlice.parse("-:0,1"), left)));
    try (InputStream in = t.open()) {
      assertThat(in.readAllBytes()).isEqualTo(((InMemoryTensorData) InMemoryTensorData.ofStrings(shape, all)).bytes());
    }
  }

  @Test
  void refusesGapsOverlapsAndWrongShapes() {
    Shape shape = Shape.of(4, 2);
    int[] full = iota(shape);
    TensorSlice a = TensorSlice.parse("0,2:-");
    TensorSlice b = TensorSlice.parse("1,2:-");
    assertThatThrownBy(() -> SliceAssembler.assemble("v", DType.INT32, shape,
        List.of(new SliceAssembler.Part(a, sliceOf(full, shape, a)))))
        .hasMessageContaining("cover 4 of its 8 elements");
    assertThatThrownBy(() -> SliceAssembler.assemble("v", DType.INT32, shape,
        List.of(new SliceAssembler.Part(a, sliceOf(full, shape, a)), new SliceAssembler.Part(b, sliceOf(full, shape, b)))))
        .hasMessageContaining("overlap");
    assertThatThrownBy(() -> SliceAssembler.assemble("v", DType.INT32, shape,
        List.of(new SliceAssembler.Part(a, sliceOf(full, shape, b)))))
        .isInstanceOf(io.tfgw.core.CorruptInputException.class);
  }
}
