package io.tfgw.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cCombinationTest {
  private static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  @Test
  void combinedPiecesGiveTheCrcOfTheWhole() {
    Random random = new Random(7);
    byte[] data = new byte[3 << 20];
    random.nextBytes(data);
    for (int[] cuts : new int[][] {{0, data.length}, {1, 5, 5, 100_000}, {1 << 20, 2 << 20}, {data.length - 1}}) {
      int combined = 0;
      int from = 0;
      for (int i = 0; i <= cuts.length; i++) {
        int to = i < cuts.length ? cuts[i] : data.length;
        combined = Crc32cCombination.combine(combined, crc(data, from, to - from), to - from);
        from = to;
      }
      assertThat(combined).as("cuts %s", java.util.Arrays.toString(cuts)).isEqualTo(crc(data, 0, data.length));
    }
  }

  @Test
  void aChangedPieceChangesTheCombination() {
    byte[] a = {1, 2, 3};
    byte[] b = {4, 5, 6};
    int good = Crc32cCombination.combine(crc(a, 0, 3), crc(b, 0, 3), 3);
    b[1] ^= 1;
    assertThat(Crc32cCombination.combine(crc(a, 0, 3), crc(b, 0, 3), 3)).isNotEqualTo(good);
  }
}
