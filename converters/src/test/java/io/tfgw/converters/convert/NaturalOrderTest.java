package io.tfgw.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NaturalOrderTest {
  @Test
  void digitRunsCompareAsNumbers() {
    List<String> names = new ArrayList<>(List.of("dense_10", "dense_2", "conv2d_1", "dense", "dense_1", "dense_02x"));
    names.sort(TensorFileConverter::naturalCompare);
    assertThat(names).containsExactly("conv2d_1", "dense", "dense_1", "dense_2", "dense_02x", "dense_10");
  }
}
