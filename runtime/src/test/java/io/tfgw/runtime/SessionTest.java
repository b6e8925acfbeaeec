package io.tfgw.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.GraphDef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionTest {
  private static final long[] V2 = {2};

  @Test
  void evaluatesOnlyWhatFetchesNeed() {
    GraphDef g = new GraphBuilder()
        .placeholder("x", DType.FLOAT)
        .constant("two", Tensor.scalar(2f))
        .op("y", "Mul", "x", "two")
        .op("unused", "SomeUnknownOp", "x")
        .build();
    Session s = new Session(g);
    Tensor y = s.run(Map.of("x:0", Tensor.ofFloats(V2, 1.5f, -3f)), List.of("y:0")).get("y:0");
    assertThat(y.floats()).containsExactly(3f, -6f);
  }

  @Test
  void unsupportedOpsFailBeforeRunningAndListAll() {
    GraphDef g = new GraphBuilder()
        .placeholder("x", DType.FLOAT)
        .op("a", "FancyOp", "x")
        .op("b", "OtherOp", "a")
        .op("y", "Neg", "b")
        .build();
    Session s = new Session(g);
    assertThatThrownBy(() -> s.run(Map.of("x", Tensor.scalar(1f)), List.of("y")))
        .isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("Op FancyOp (node 'a')")
        .hasMessageContaining("FancyOp, OtherOp");
  }

  @Test
  void unfedPlaceholderNamesTheNode() {
    GraphDef g = new GraphBuilder().placeholder("x", DType.FLOAT).op("y", "Neg", "x").build();
    assertThatThrownBy(() -> new Session(g).run(Map.of(), List.of("y")))
        .isInstanceOf(OpFailedException.class)
        .hasMessageContaining("Node 'x' (Placeholder)")
        .hasMessageContaining("must be fed");
  }

  @Test
  void switchAndMergeTakeOneBranch() {
    GraphDef g = new GraphBuilder()
        .placeholder("x", DType.FLOAT)
        .placeholder("p", DType.BOOL)
        .op("sw", "Switch", "x", "p")
        .op("neg", "Neg", "sw:0")
        .op("sq", "Square", "sw:1")
        .op("m", "Merge", "neg", "sq")
        .build();
    Session s = new Session(g);
    assertThat(s.run(Map.of("x", Tensor.scalar(3f), "p", Tensor.scalar(true)), List.of("m")).get("m").floats())
        .containsExactly(9f);
    assertThat(s.run(Map.of("x", Tensor.scalar(3f), "p", Tensor.scalar(false)), List.of("m")).get("m").floats())
        .containsExactly(-3f);
    assertThat(s.run(Map.of("x", Tensor.scalar(3f), "p", Tensor.scalar(false)), List.of("m:1")).get("m:1").ints())
        .containsExactly(0);
  }

  @Test
  void constantsFromTypedFieldsRepeatTheLastValue() {
    io.tfgw.proto.TensorProto proto = io.tfgw.proto.TensorProto.newBuilder()
        .setDtype(io.tfgw.proto.DataType.DT_FLOAT)
        .setTensorShape(io.tfgw.core.tensor.TensorProtos.shapeProto(io.tfgw.core.tensor.Shape.of(2, 3)))
        .addFloatVal(1.5f).addFloatVal(-2f).build();
    GraphDef g = new GraphBuilder()
        .node("c", "Const", new String[0], "dtype", DType.FLOAT, "value",
            io.tfgw.proto.AttrValue.newBuilder().setTensor(proto).build())
        .op("y", "Identity", "c")
        .build();
    assertThat(new Session(g).run(Map.of(), List.of("y")).get("y").floats())
        .containsExactly(1.5f, -2f, -2f, -2f, -2f, -2f);
  }

  @Test
  void variablesWithoutRestoreReadTheCheckpointByName() {
    GraphDef g = new GraphBuilder()
        .node("w", "VariableV2", new String[0], "dtype", DType.FLOAT)
        .op("y", "Neg", "w")
        .build();
    io.tfgw.core.checkpoint.CheckpointReader ckpt = new io.tfgw.core.checkpoint.CheckpointReader() {
      @Override
      public io.tfgw.core.storage.Location location() {
        return io.tfgw.core.storage.Location.parse("memory://x/ckpt");
      }

      @Override
      public String format() {
        return "v2";
      }

      @Override
      public List<io.tfgw.core.tensor.TensorInfo> tensors() {
        return List.of(new io.tfgw.core.tensor.TensorInfo("w", DType.FLOAT, io.tfgw.core.tensor.Shape.of(2)));
      }

      @Override
      public io.tfgw.core.tensor.TensorData read(String name) {
        return Tensor.ofFloats(V2, 1f, 2f).toData();
      }

      @Override
      public io.tfgw.core.tensor.TensorData readSlice(String name, io.tfgw.core.tensor.TensorSlice slice) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void close() {}
    };
    assertThat(new Session(g, ckpt).run(Map.of(), List.of("y")).get("y").floats()).containsExactly(-1f, -2f);
    assertThatThrownBy(() -> new Session(g).run(Map.of(), List.of("y")))
        .isInstanceOf(OpFailedException.class).hasMessageContaining("variable 'w' has no value");
  }

  @Test
  void unsupportedOpsInAnUntakenBranchDoNotStopTheRun() {
    GraphDef g = new GraphBuilder()
        .placeholder("x", DType.FLOAT)
        .placeholder("training", DType.BOOL)
        .op("sw", "Switch", "x", "training")
        .op("noise", "RandomUniformLike", "sw:1")
        .op("m", "Merge", "sw:0", "noise")
        .build();
    Session s = new Session(g);
    assertThat(s.unsupportedOps(List.of("x", "training"), List.of("m"), List.of())).isEmpty();
    assertThat(s.run(Map.of("x", Tensor.scalar(3f), "training", Tensor.scalar(false)), List.of("m")).get("m")
        .floats()).containsExactly(3f);
    assertThatThrownBy(() -> s.run(Map.of("x", Tensor.scalar(3f), "training", Tensor.scalar(true)), List.of("m")))
        .isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("Op RandomUniformLike (node 'noise') is not supported")
        .hasMessageContaining("took the conditional branch");
  }

  @Test
  void refVariablesAssignAndRead() {
    GraphDef g = new GraphBuilder()
        .node("v", "VariableV2", new String[0], "dtype", DType.FLOAT)
        .constant("init", Tensor.ofFloats(V2, 1f, 2f))
        .op("assign", "Assign", "v", "init")
        .op("read", "Identity", "v")
        .op("y", "Add", "read", "read")
        .build();
    Session s = new Session(g);
    s.run(Map.of(), List.of(), List.of("assign"));
    assertThat(s.run(Map.of(), List.of("y")).get("y").floats()).containsExactly(2f, 4f);
  }
}
