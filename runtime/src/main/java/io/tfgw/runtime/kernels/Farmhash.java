package io.tfgw.runtime.kernels;

/**
 * FarmHash's {@code Fingerprint64} ({@code farmhashna::Hash64}), the hash TensorFlow's {@code Fingerprint64} and
 * hence StringToHashBucketFast (StaticVocabularyTable's out-of-vocabulary buckets) use. Byte for byte the reference
 * algorithm: little-endian loads, unsigned 64-bit arithmetic (Java's long wraps the same way), right rotations.
 */
final class Farmhash {
  private static final long K0 = 0xc3a5c85c97cb3127L;
  private static final long K1 = 0xb492b66fbe98f273L;
  private static final long K2 = 0x9ae16a3b2f90404fL;

  private Farmhash() {}

  /** The fingerprint of {@code s}. */
  static long fingerprint64(byte[] s) {
    int len = s.length;
    if (len <= 32) {
      return len <= 16 ? hashLen0to16(s, len) : hashLen17to32(s, len);
    }
    if (len <= 64) {
      return hashLen33to64(s, len);
    }
    final long seed = 81;
    long x = seed;
    long y = seed * K1 + 113;
    long z = shiftMix(y * K2 + 113) * K2;
    long v1 = 0;
    long v2 = 0;
    long w1 = 0;
    long w2 = 0;
    x = x * K2 + fetch64(s, 0);
    int end = ((len - 1) / 64) * 64;
    int last64 = end + ((len - 1) & 63) - 63;
    int p = 0;
    do {
      x = rotate(x + y + v1 + fetch64(s, p + 8), 37) * K1;
      y = rotate(y + v2 + fetch64(s, p + 48), 42) * K1;
      x ^= w2;
      y += v1 + fetch64(s, p + 40);
      z = rotate(z + w1, 33) * K1;
      long[] v = weakHashLen32WithSeeds(s, p, v2 * K1, x + w1);
      long[] w = weakHashLen32WithSeeds(s, p + 32, z + w2, y + fetch64(s, p + 16));
      v1 = v[0];
      v2 = v[1];
      w1 = w[0];
      w2 = w[1];
      long t = z;
      z = x;
      x = t;
      p += 64;
    } while (p != end);
    long mul = K1 + ((z & 0xff) << 1);
    p = last64;
    w1 += (len - 1) & 63;
    v1 += w1;
    w1 += v1;
    x = rotate(x + y + v1 + fetch64(s, p + 8), 37) * mul;
    y = rotate(y + v2 + fetch64(s, p + 48), 42) * mul;
    x ^= w2 * 9;
    y += v1 * 9 + fetch64(s, p + 40);
    z = rotate(z + w1, 33) * mul;
    long[] v = weakHashLen32WithSeeds(s, p, v2 * mul, x + w1);
    long[] w = weakHashLen32WithSeeds(s, p + 32, z + w2, y + fetch64(s, p + 16));
    long t = z;
    z = x;
    x = t;
    return hashLen16(hashLen16(v[0], w[0], mul) + shiftMix(y) * K0 + z, hashLen16(v[1], w[1], mul) + x, mul);
  }

  private static long fetch64(byte[] s, int i) {
    long r = 0;
    for (int b = 7; b >= 0; b--) {
      r = (r << 8) | (s[i + b] & 0xffL);
    }
    return r;
  }

  private static long fetch32(byte[] s, int i) {
    return (s[i] & 0xffL) | (s[i + 1] & 0xffL) << 8 | (s[i + 2] & 0xffL) << 16 | (s[i + 3] & 0xffL) << 24;
  }

  private static long rotate(long val, int shift) {
    return shift == 0 ? val : Long.rotateRight(val, shift);
  }

  private static long shiftMix(long val) {
    return val ^ (val >>> 47);
  }

  private static long hashLen16(long u, long v, long mul) {
    long a = (u ^ v) * mul;
    a ^= a >>> 47;
    long b = (v ^ a) * mul;
    b ^= b >>> 47;
    return b * mul;
  }

  private static long hashLen0to16(byte[] s, int len) {
    if (len >= 8) {
      long mul = K2 + len * 2L;
      long a = fetch64(s, 0) + K2;
      long b = fetch64(s, len - 8);
      long c = rotate(b, 37) * mul + a;
      long d = (rotate(a, 25) + b) * mul;
      return hashLen16(c, d, mul);
    }
    if (len >= 4) {
      long mul = K2 + len * 2L;
      long a = fetch32(s, 0);
      return hashLen16(len + (a << 3), fetch32(s, len - 4), mul);
    }
    if (len > 0) {
      int a = s[0] & 0xff;
      int b = s[len >> 1] & 0xff;
      int c = s[len - 1] & 0xff;
      long y = (a + (b << 8)) & 0xffffffffL;
      long z = (len + (c << 2)) & 0xffffffffL;
      return shiftMix(y * K2 ^ z * K0) * K2;
    }
    return K2;
  }

  private static long hashLen17to32(byte[] s, int len) {
    long mul = K2 + len * 2L;
    long a = fetch64(s, 0) * K1;
    long b = fetch64(s, 8);
    long c = fetch64(s, len - 8) * mul;
    long d = fetch64(s, len - 16) * K2;
    return hashLen16(rotate(a + b, 43) + rotate(c, 30) + d, a + rotate(b + K2, 18) + c, mul);
  }

  private static long hashLen33to64(byte[] s, int len) {
    long mul = K2 + len * 2L;
    long a = fetch64(s, 0) * K2;
    long b = fetch64(s, 8);
    long c = fetch64(s, len - 8) * mul;
    long d = fetch64(s, len - 16) * K2;
    long y = rotate(a + b, 43) + rotate(c, 30) + d;
    long z = hashLen16(y, a + rotate(b + K2, 18) + c, mul);
    long e = fetch64(s, 16) * mul;
    long f = fetch64(s, 24);
    long g = (y + fetch64(s, len - 32)) * mul;
    long h = (z + fetch64(s, len - 24)) * mul;
    return hashLen16(rotate(e + f, 43) + rotate(g, 30) + h, e + rotate(f + a, 18) + g, mul);
  }

  private static long[] weakHashLen32WithSeeds(byte[] s, int i, long a, long b) {
    long w = fetch64(s, i);
    long x = fetch64(s, i + 8);
    long y = fetch64(s, i + 16);
    long z = fetch64(s, i + 24);
    a += w;
    b = rotate(b + a + z, 21);
    long c = a;
    a += x;
    a += y;
    b += rotate(a, 44);
    return new long[] {a + z, b + c};
  }
}
