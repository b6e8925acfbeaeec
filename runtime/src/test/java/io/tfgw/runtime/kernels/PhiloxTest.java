package io.tfgw.runtime.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The generator against the known-answer vectors of Random123 (the reference implementation of Philox4x32-10 from
 * its authors), and TF's counter arithmetic. Whole outputs are compared with TF in RuntimeRandomOracleTest.
 */
class PhiloxTest {
  private static int[] first(int[] counter, int[] key) {
    int[] out = new int[4];
    Philox.of(counter, key).next(out);
    return out;
  }

  @Test
  void knownAnswers() {
    assertThat(first(new int[] {0, 0, 0, 0}, new int[] {0, 0}))
        .containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
    assertThat(first(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}))
        .containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
    assertThat(first(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, new int[] {0xa4093822, 0x299f31d0}))
        .containsExactly(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
  }

  @Test
  void skipAndNextCarryThroughTheCounter() {
    Philox p = Philox.of(new int[] {-2, -1, 7, 0}, new int[] {1, 2});
    p.skip(3); // word 0 wraps: the carry reaches word 1, which wraps into word 2
    assertThat(p.counter()).containsExactly(1, 0, 8, 0);
    p.skip(1L << 32);
    assertThat(p.counter()).containsExactly(1, 1, 8, 0);
    Philox q = Philox.of(new int[] {-1, -1, -1, 5}, new int[] {0, 0});
    q.next(new int[4]);
    assertThat(q.counter()).containsExactly(0, 0, 0, 6);
  }

  @Test
  void seedsFillKeyAndHighCounter() {
    Philox p = Philox.seeded(0x1122334455667788L, 0x99aabbccddeeff00L);
    assertThat(p.key()).containsExactly(0x55667788, 0x11223344);
    assertThat(p.counter()).containsExactly(0, 0, 0xddeeff00, 0x99aabbcc);
  }
}
