package io.tfgw.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorSliceTest {
  @Test
  void parsesAndPrintsTfSyntax() {
    TensorSlice s = TensorSlice.parse("0,2:-");
    assertThat(s.rank()).isEqualTo(2);
    assertThat(s.start(0)).isZero();
    assertThat(s.length(0)).isEqualTo(2);
    assertThat(s.isFullAt(1)).isTrue();
    assertThat(s.toString()).isEqualTo("0,2:-");
    assertThat(s.toShapeAndSlice(Shape.of(4, 6))).isEqualTo("4 6 0,2:-");
    assertThat(s.sliceShape(Shape.of(4, 6))).isEqualTo(Shape.of(2, 6));
    assertThat(TensorSlice.parse("").rank()).isZero();
    assertThat(TensorSlice.parse("-:-").isFull()).isTrue();
  }

  @Test
  void protoFormMatchesTfsAsProto() {
    TensorSlice s = TensorSlice.parse("2,3:-");
    var proto = s.toProto();
    assertThat(proto.getExtentCount()).isEqualTo(2);
    assertThat(proto.getExtent(0).getStart()).isEqualTo(2);
    assertThat(proto.getExtent(0).getLength()).isEqualTo(3);
    assertThat(proto.getExtent(1).hasLength()).isFalse();
    assertThat(TensorSlice.fromProto(proto)).isEqualTo(s);
  }

  @Test
  void rejectsMalformedSpecs() {
    assertThatThrownBy(() -> TensorSlice.parse("1:-")).hasMessageContaining("'1'");
    assertThatThrownBy(() -> TensorSlice.parse("a,b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(TensorSlice.parse("3,5").fits(Shape.of(7))).isFalse();
    assertThat(TensorSlice.parse("0,7").coversWhole(Shape.of(7))).isTrue();
  }

  @Test
  void dtypeNumbersAndNamesAreTfs() {
    assertThat(DType.fromNumber(1)).isEqualTo(DType.FLOAT);
    assertThat(DType.fromNumber(101)).isEqualTo(DType.FLOAT); // DT_FLOAT_REF
    assertThat(DType.fromNumber(19).pythonName()).isEqualTo("float16");
    assertThat(DType.fromName("half")).isEqualTo(DType.HALF);
    assertThat(DType.COMPLEX128.elementSize()).isEqualTo(16);
    assertThat(DType.STRING.isFixedSize()).isFalse();
    assertThatThrownBy(() -> DType.fromNumber(99)).hasMessageContaining("99");
  }
}
