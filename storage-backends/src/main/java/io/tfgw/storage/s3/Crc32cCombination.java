package io.tfgw.storage.s3;

/**
 * The CRC32C of a concatenation from the CRC32Cs of its pieces (zlib's {@code crc32_combine}, with the Castagnoli
 * polynomial): a multipart upload's whole-object checksum follows from the parts' checksums the store verified,
 * without hashing the bytes again.
 */
final class Crc32cCombination {
  /** The reflected Castagnoli polynomial, as {@link java.util.zip.CRC32C} uses it. */
  private static final int POLYNOMIAL = 0x82F63B78;

  private Crc32cCombination() {}

  /** The CRC32C of A followed by B, given A's CRC32C, B's CRC32C and B's length. */
  static int combine(int crcA, int crcB, long lengthB) {
    if (lengthB == 0) {
      return crcA; // B is empty, and so is its CRC
    }
    // odd/even: the operators that append 2^k zero bits to a CRC, squared in turn (zlib's gf2 matrices)
    int[] odd = new int[32];
    int[] even = new int[32];
    odd[0] = POLYNOMIAL;
    int row = 1;
    for (int n = 1; n < 32; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd); // two zero bits
    square(odd, even); // four zero bits
    int crc = crcA;
    long len = lengthB;
    do {
      square(even, odd); // the first pass: one zero byte
      if ((len & 1) != 0) {
        crc = times(even, crc);
      }
      len >>>= 1;
      if (len == 0) {
        break;
      }
      square(odd, even);
      if ((len & 1) != 0) {
        crc = times(odd, crc);
      }
      len >>>= 1;
    } while (len != 0);
    return crc ^ crcB;
  }

  private static int times(int[] matrix, int vector) {
    int sum = 0;
    for (int i = 0; vector != 0; i++, vector >>>= 1) {
      if ((vector & 1) != 0) {
        sum ^= matrix[i];
      }
    }
    return sum;
  }

  private static void square(int[] square, int[] matrix) {
    for (int n = 0; n < 32; n++) {
      square[n] = times(matrix, matrix[n]);
    }
  }
}
