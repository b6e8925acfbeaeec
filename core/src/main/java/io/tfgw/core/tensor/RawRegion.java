package io.tfgw.core.tensor;

import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.storage.RandomAccessInput;
import java.util.zip.CRC32C;

/**
 * A tensor's canonical bytes lying as they are in a file, with the crc32c they must have. Writers that store the
 * same bytes (a V2 tensor copied into another V2 bundle or into a V1 float field) use it to checksum the range in
 * place and have the storage copy it, instead of streaming it through the JVM.
 *
 * @param expectedCrc the unmasked crc32c the range must have
 * @param description what the range is, for errors ("tensor 'w' (file, offset 0, 40 bytes)")
 */
public record RawRegion(RandomAccessInput input, long offset, long length, int expectedCrc, String description) {

  /** Adds the range to {@code crc}, reading it mapped where the input is a local file. */
  public void updateCrc(CRC32C crc) {
    Crc32c.update(crc, input, offset, length);
  }

  /** Checks the range against its stored crc; returns the crc (so a writer can store it). */
  public int verify() {
    CRC32C crc = new CRC32C();
    updateCrc(crc);
    int actual = (int) crc.getValue();
    if (actual != expectedCrc) {
      throw new ChecksumMismatchException("Checksum does not match for " + description + String.format(
          ": checksum mismatch (stored %08x, computed %08x). The data file is corrupt, or the .index and .data files "
              + "come from different saves.", expectedCrc, actual));
    }
    return actual;
  }
}
