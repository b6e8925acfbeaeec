package io.tfgw.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class WireCompatibilityTest {
  @Test
  void unknownFieldsSurviveAParseSerializeRoundTrip() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeEnum(1, 1); // dtype: DT_FLOAT
    out.writeInt64(99, 12345); // a field from a future TensorFlow
    out.writeBytes(100, ByteString.copyFromUtf8("future"));
    out.flush();
    BundleEntryProto parsed = BundleEntryProto.parseFrom(bytes.toByteArray());
    assertThat(parsed.getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(parsed.getUnknownFields().hasField(99)).isTrue();
    assertThat(parsed.toByteArray()).isEqualTo(bytes.toByteArray());
    assertThat(parsed.toBuilder().setSize(7).build().getUnknownFields().hasField(100)).isTrue();
  }

  @Test
  void fieldNumbersAreTensorFlows() {
    // Known bytes: BundleEntryProto{dtype: DT_FLOAT, shape {dim {size: 2}}, offset: 8, size: 8, crc32c: 0x01020304}
    BundleEntryProto e = BundleEntryProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(2)))
        .setOffset(8).setSize(8).setCrc32C(0x01020304).build();
    assertThat(e.toByteArray()).containsExactly(0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x02, 0x20, 0x08, 0x28, 0x08,
        0x35, 0x04, 0x03, 0x02, 0x01);
    SaverDef s = SaverDef.newBuilder().setVersion(SaverDef.CheckpointFormatVersion.V2).build();
    assertThat(s.toByteArray()).containsExactly(0x38, 0x02);
    assertThat(SavedModel.newBuilder().setSavedModelSchemaVersion(1).build().toByteArray()).containsExactly(0x08, 0x01);
    assertThat(DataType.DT_BFLOAT16.getNumber()).isEqualTo(14);
    assertThat(DataType.DT_UINT64.getNumber()).isEqualTo(23);
    assertThat(DataType.DT_FLOAT_REF.getNumber()).isEqualTo(101);
  }
}
