package io.tfgw.runtime.kernels;

/**
 * TensorFlow's random bit generator, {@code random::PhiloxRandom}: Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011) over a 128-bit counter and a 64-bit key. Each call gives four 32-bit
 * words and advances the counter by one; {@link #skip} jumps ahead by whole calls, which is how TF's kernels give
 * every group of outputs its own part of the stream whatever the threading.
 *
 * <p>Words are Java ints holding the uint32 bit patterns.
 */
final class Philox {
  private static final int W32A = 0x9E3779B9;
  private static final int W32B = 0xBB67AE85;
  private static final long M4X32A = 0xD2511F53L;
  private static final long M4X32B = 0xCD9E8D57L;

  private int c0;
  private int c1;
  private int c2;
  private int c3;
  private final int k0;
  private final int k1;

  private Philox(int c0, int c1, int c2, int c3, int k0, int k1) {
    this.c0 = c0;
    this.c1 = c1;
    this.c2 = c2;
    this.c3 = c3;
    this.k0 = k0;
    this.k1 = k1;
  }

  /** {@code PhiloxRandom(seed_lo, seed_hi)}: the key from the first seed, the counter's high half from the second. */
  static Philox seeded(long seedLo, long seedHi) {
    return new Philox(0, 0, (int) seedHi, (int) (seedHi >>> 32), (int) seedLo, (int) (seedLo >>> 32));
  }

  /** A generator at a counter (four words) with a key (two words). */
  static Philox of(int[] counter, int[] key) {
    return new Philox(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
  }

  /** The layout of TF's stateless V2 ops: key {@code [k0 | k1 << 32]}, counter {@code [c0 | c1 << 32, c2 | c3 << 32]}. */
  static Philox fromKeyCounter(long key, long counterLo, long counterHi) {
    return new Philox((int) counterLo, (int) (counterLo >>> 32), (int) counterHi, (int) (counterHi >>> 32),
        (int) key, (int) (key >>> 32));
  }

  Philox copy() {
    return new Philox(c0, c1, c2, c3, k0, k1);
  }

  int[] counter() {
    return new int[] {c0, c1, c2, c3};
  }

  int[] key() {
    return new int[] {k0, k1};
  }

  /**
   * Skips {@code count} calls (unsigned). Carries as TF does: from word 0 into the high half of the count, and from
   * word 1 into words 2 and 3.
   */
  void skip(long count) {
    int countLo = (int) count;
    int countHi = (int) (count >>> 32);
    c0 += countLo;
    if (Integer.compareUnsigned(c0, countLo) < 0) {
      countHi++;
    }
    c1 += countHi;
    if (Integer.compareUnsigned(c1, countHi) < 0) {
      if (++c2 == 0) {
        ++c3;
      }
    }
  }

  /** The next four words into {@code out[0..3]}. */
  void next(int[] out) {
    int x0 = c0;
    int x1 = c1;
    int x2 = c2;
    int x3 = c3;
    int key0 = k0;
    int key1 = k1;
    for (int round = 0; round < 10; round++) {
      if (round > 0) {
        key0 += W32A;
        key1 += W32B;
      }
      long p0 = M4X32A * (x0 & 0xFFFFFFFFL);
      long p1 = M4X32B * (x2 & 0xFFFFFFFFL);
      int y0 = (int) (p1 >>> 32) ^ x1 ^ key0;
      int y2 = (int) (p0 >>> 32) ^ x3 ^ key1;
      x1 = (int) p1;
      x3 = (int) p0;
      x0 = y0;
      x2 = y2;
    }
    out[0] = x0;
    out[1] = x1;
    out[2] = x2;
    out[3] = x3;
    if (++c0 == 0 && ++c1 == 0 && ++c2 == 0) {
      ++c3;
    }
  }
}
