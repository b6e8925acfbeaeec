package io.tfgw.converters.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Tensor;
import org.junit.jupiter.api.Test;

/** How {@link Verifier} judges outputs under a {@link Tolerance}: the scale, non-finite values, exact dtypes. */
class ToleranceTest {
  private static final Tolerance ULP64 = Tolerance.parse("ulp:64");

  private static Verifier.Status status(Tensor a, Tensor b, Tolerance t) {
    return Verifier.compare("y", a, b, false, t).status();
  }

  private static Tensor floats(float... v) {
    return Tensor.ofFloats(new long[] {v.length}, v);
  }

  @Test
  void parsesTheThreeFormsAndRefusesOthers() {
    assertThat(Tolerance.parse("exact")).isEqualTo(Tolerance.EXACT);
    assertThat(Tolerance.parse("ULP:64")).isEqualTo(Tolerance.ONNX);
    assertThat(Tolerance.parse("rel:1e-6").label()).isEqualTo("rel:1.0E-6");
    for (String bad : new String[] {"ulp", "ulp:-1", "ulp:1.5", "rel:1", "rel:x", "abs:1", ""}) {
      assertThatThrownBy(() -> Tolerance.parse(bad)).as(bad).isInstanceOf(WrongInputException.class)
          .hasMessageContaining("--tolerance must be 'exact', 'ulp:N'");
    }
  }

  @Test
  void ulpsAreCountedAtTheOutputsLargestMagnitudeInA() {
    float big = 1000f;
    float ulp = Math.ulp(big);
    // the small element is off by thousands of its own ulps but by 63 of the largest magnitude's: within
    Tensor a = floats(big, 1e-3f);
    assertThat(status(a, floats(big, 1e-3f + 63 * ulp), ULP64)).isEqualTo(Verifier.Status.WITHIN_TOLERANCE);
    assertThat(status(a, floats(big, 1e-3f + 66 * ulp), ULP64)).isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(status(a, floats(big, 1e-3f + 63 * ulp), Tolerance.EXACT)).isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(Verifier.compare("y", a, floats(big, 1e-3f + 32 * ulp), false, ULP64).scaledDiff())
        .isCloseTo(32.0, org.assertj.core.data.Offset.offset(1e-3));
    // A is the reference: a B that blows an element up does not widen the bound
    assertThat(status(floats(1f, 1f), floats(1f, 1e30f), ULP64)).isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(status(a, a, ULP64)).isEqualTo(Verifier.Status.IDENTICAL);
  }

  @Test
  void relativeToleranceScalesWithTheLargestMagnitude() {
    Tolerance rel = Tolerance.parse("rel:0.001");
    assertThat(status(floats(10f, 0f), floats(10f, 0.009f), rel)).isEqualTo(Verifier.Status.WITHIN_TOLERANCE);
    assertThat(status(floats(10f, 0f), floats(10f, 0.011f), rel)).isEqualTo(Verifier.Status.DIFFERENT);
    // an all-zero output in A leaves no room
    assertThat(status(floats(0f, 0f), floats(0f, 1e-30f), rel)).isEqualTo(Verifier.Status.DIFFERENT);
  }

  @Test
  void nonFiniteValuesMustMatchInKindAndOtherDtypesExactly() {
    float nan2 = Float.intBitsToFloat(0x7fc00001); // another NaN payload
    assertThat(status(floats(1f, Float.NaN), floats(1f, nan2), ULP64)).isEqualTo(Verifier.Status.WITHIN_TOLERANCE);
    assertThat(status(floats(1f, Float.NaN), floats(1f, 1f), ULP64)).isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(status(floats(1f, Float.POSITIVE_INFINITY), floats(1f, Float.POSITIVE_INFINITY), ULP64))
        .isEqualTo(Verifier.Status.IDENTICAL);
    assertThat(status(floats(1f, Float.POSITIVE_INFINITY), floats(1f, Float.MAX_VALUE), ULP64))
        .isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(status(floats(1f, 0f), floats(1f, -0f), ULP64)).isEqualTo(Verifier.Status.WITHIN_TOLERANCE);
    Tensor ints = Tensor.ofInts(new long[] {2}, new int[] {1000, 1});
    assertThat(status(ints, Tensor.ofInts(new long[] {2}, new int[] {1000, 2}), Tolerance.parse("rel:0.5")))
        .isEqualTo(Verifier.Status.DIFFERENT);
    assertThat(status(Tensor.ofDoubles(new long[] {1}, new double[] {1}), Tensor.ofDoubles(new long[] {1},
        new double[] {1 + 64 * Math.ulp(1.0)}), ULP64)).isEqualTo(Verifier.Status.WITHIN_TOLERANCE);
    // another shape is never within a tolerance
    assertThat(status(floats(1f, 2f), floats(1f), ULP64)).isEqualTo(Verifier.Status.DIFFERENT);
  }
}
