package io.tfgw.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamePlanTest {
  private static List<TensorInfo> tensors(String... names) {
    return java.util.Arrays.stream(names).map(n -> new TensorInfo(n, DType.FLOAT, Shape.of(2))).toList();
  }

  private static List<String> names(NamePlan plan, String... in) {
    return plan.apply(tensors(in)).stream().map(e -> e.name() + "<-" + e.source().name()).toList();
  }

  @Test
  void renamesApplyInOrder() {
    NamePlan p = new NamePlan().rename("^a/=b/").rename("^b/(.*)$=c/$1");
    assertThat(names(p, "a/x", "z")).containsExactly("c/x<-a/x", "z<-z");
  }

  @Test
  void globsMatchSegmentsAndWhatIsBelow() {
    assertThat(NamePlan.matcher("dense").test("dense/kernel")).isTrue();
    assertThat(NamePlan.matcher("dense").test("dense_1/kernel")).isFalse();
    assertThat(NamePlan.matcher("*/kernel").test("dense/kernel")).isTrue();
    assertThat(NamePlan.matcher("*/kernel").test("a/b/kernel")).isFalse();
    assertThat(NamePlan.matcher("**/Adam").test("a/b/kernel/Adam")).isTrue();
    assertThat(NamePlan.matcher("re:Adam_?1?$").test("x/Adam_1")).isTrue();
    assertThat(names(new NamePlan().include("dense").exclude("**/Adam"), "dense/k", "dense/k/Adam", "other"))
        .containsExactly("dense/k<-dense/k");
  }

  @Test
  void emaTakesTheShadowAndDropsIt() {
    assertThat(names(new NamePlan().ema(true), "w", "w/ExponentialMovingAverage", "b", "lonely/ExponentialMovingAverage"))
        .containsExactly("w<-w/ExponentialMovingAverage", "b<-b");
  }

  @Test
  void rnnPresetRenamesWholeSegmentsIncludingPartitions() {
    NamePlan p = new NamePlan().rnnTf12();
    assertThat(names(p, "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/weights/part_0",
        "rnn/gru_cell/gates/biases", "my_lstm_cell/weights", "lstm_cell/weights_2"))
        .containsExactly(
            "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel/part_0<-rnn/multi_rnn_cell/cell_0/basic_lstm_cell/weights/part_0",
            "rnn/gru_cell/gates/bias<-rnn/gru_cell/gates/biases",
            "my_lstm_cell/weights<-my_lstm_cell/weights",
            "lstm_cell/weights_2<-lstm_cell/weights_2");
  }

  @Test
  void mapsAreExactAndCollisionsAreErrors() {
    assertThat(names(new NamePlan().map("a", "b"), "a", "a/x")).containsExactly("b<-a", "a/x<-a/x");
    assertThatThrownBy(() -> new NamePlan().rename("_\\d+$=").apply(tensors("w_1", "w_2")))
        .isInstanceOf(WrongInputException.class).hasMessageContaining("'w_1' and 'w_2' would both be written as 'w'");
    assertThatThrownBy(() -> new NamePlan().rename("oops")).hasMessageContaining("REGEX=REPLACEMENT");
  }
}
