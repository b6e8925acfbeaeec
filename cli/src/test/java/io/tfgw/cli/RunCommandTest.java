package io.tfgw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NodeDef;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tfgw run} on a tiny frozen graph written here (the TF-checked tests are in fixtures). */
class RunCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  /** y = x * 3 + 0.1 with x a float32 placeholder; also s = Shape(x). */
  private Path frozenGraph() throws Exception {
    AttrValue f32 = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
    GraphDef g = GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("x").setOp("Placeholder").putAttr("dtype", f32))
        .addNode(NodeDef.newBuilder().setName("three").setOp("Const").putAttr("dtype", f32).putAttr("value",
            AttrValue.newBuilder().setTensor(TensorProtos.withTensorContent(DType.FLOAT, Shape.scalar(),
                new byte[] {0, 0, 0x40, 0x40})).build()))
        .addNode(NodeDef.newBuilder().setName("tenth").setOp("Const").putAttr("dtype", f32).putAttr("value",
            AttrValue.newBuilder().setTensor(io.tfgw.proto.TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
                .setTensorShape(TensorProtos.shapeProto(Shape.scalar())).addFloatVal(0.1f)).build()))
        .addNode(NodeDef.newBuilder().setName("mul").setOp("Mul").addInput("x").addInput("three"))
        .addNode(NodeDef.newBuilder().setName("y").setOp("AddV2").addInput("mul").addInput("tenth"))
        .build();
    Path pb = dir.resolve("frozen.pb");
    Files.write(pb, g.toByteArray());
    return pb;
  }

  @Test
  void jsonInAndOut() throws Exception {
    Path pb = frozenGraph();
    Files.writeString(dir.resolve("in.json"), "{\"x:0\": {\"shape\": [2, 2], \"values\": [1, -0.0, \"NaN\", 2e38]}}");
    Run r = run("run", pb.toString(), "--inputs", dir.resolve("in.json").toString(), "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode y = new ObjectMapper().readTree(r.out()).get("y:0");
    assertThat(y.get("dtype").asText()).isEqualTo("float32");
    assertThat(y.get("shape").toString()).isEqualTo("[2,2]");
    assertThat(y.get("values").get(0).asDouble()).isEqualTo((double) (3f + 0.1f));
    assertThat(Float.parseFloat(y.get("values").get(0).asText())).isEqualTo(3f + 0.1f);
    assertThat(y.get("values").get(2).asText()).isEqualTo("NaN");
    assertThat(y.get("values").get(3).asText()).isEqualTo("Infinity");
    assertThat(y.get("sha256").asText()).hasSize(64);
  }

  @Test
  void outputsByNameAndHumanFormat() throws Exception {
    Path pb = frozenGraph();
    Files.writeString(dir.resolve("in.json"), "{\"x\": [[1, 2, 3]]}");
    Run r = run("run", pb.toString(), "--inputs", dir.resolve("in.json").toString(), "--outputs", "mul:0,y:0");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("mul:0: float32 [1, 3]").contains("[[3., 6., 9.]]").contains("y:0: float32");
  }

  @Test
  void helpDocumentsInputsAndExitsZero() {
    Run r = run("run", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--inputs").contains("--input").contains("NAME=FILE.npy").contains("{\"npy\"")
        .contains("--signature").contains("sha256");
  }

  @Test
  void unknownTensorNamesAreExplained() throws Exception {
    Path pb = frozenGraph();
    Files.writeString(dir.resolve("in.json"), "{\"x\": [1]}");
    Run r = run("run", pb.toString(), "--inputs", dir.resolve("in.json").toString(), "--outputs", "nope:0");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: ").contains("no node named 'nope'");
  }
}
