package io.tfgw.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Crc32cTest {
  @Test
  void knownVector() {
    assertThat(Crc32c.of("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xe3069283);
    assertThat(Crc32c.of(new byte[32])).isEqualTo(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  }

  @Test
  void maskRoundTripsAndIsTfs() {
    for (int v : new int[] {0, 1, 0xe3069283, 0xffffffff, 0x12345678}) {
      assertThat(Crc32c.unmask(Crc32c.mask(v))).isEqualTo(v);
      assertThat(Crc32c.mask(v)).isNotEqualTo(v);
    }
    // tensorflow/core/lib/hash/crc32c.h: Mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8
    assertThat(Crc32c.mask(0)).isEqualTo(0xa282ead8);
  }
}
