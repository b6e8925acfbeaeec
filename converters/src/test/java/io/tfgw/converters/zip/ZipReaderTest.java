package io.tfgw.converters.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.testing.ByteArrayInput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** Zips written by the JDK's own writer (and bytes edited to be hostile) read back by {@link ZipReader}. */
class ZipReaderTest {
  private static final Location HERE = Location.parse("memory://t/model.keras");

  private static byte[] zip(boolean deflate, String... nameAndContent) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      for (int i = 0; i < nameAndContent.length; i += 2) {
        byte[] data = nameAndContent[i + 1].getBytes(StandardCharsets.UTF_8);
        ZipEntry e = new ZipEntry(nameAndContent[i]);
        if (!deflate) {
          e.setMethod(ZipEntry.STORED);
          e.setSize(data.length);
          e.setCompressedSize(data.length);
          CRC32 crc = new CRC32();
          crc.update(data);
          e.setCrc(crc.getValue());
        }
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static ZipReader open(byte[] bytes) {
    return ZipReader.open(new ByteArrayInput("model.keras", bytes), HERE);
  }

  @Test
  void storedEntriesAreWindowsOfTheFileAndDeflatedOnesInflate() throws Exception {
    for (boolean deflate : new boolean[] {false, true}) {
      String big = "0123456789".repeat(10_000);
      try (ZipReader z = open(zip(deflate, "config.json", "{\"a\": 1}", "assets/x.txt", big))) {
        assertThat(z.entries().keySet()).containsExactly("config.json", "assets/x.txt");
        ZipReader.Entry e = z.entry("assets/x.txt");
        assertThat(e.isStored()).isEqualTo(!deflate);
        assertThat(new String(z.readAll(z.entry("config.json"), 100), StandardCharsets.UTF_8)).isEqualTo("{\"a\": 1}");
        try (RandomAccessInput in = z.open(e)) {
          assertThat(in.length()).isEqualTo(big.length());
          assertThat(new String(in.readFully(99_990, 10), StandardCharsets.UTF_8)).isEqualTo("0123456789");
          assertThatThrownBy(() -> in.readFully(99_995, 10)).hasMessageContaining("past the end");
        }
        assertThatThrownBy(() -> z.readAll(e, 1000)).isInstanceOf(UnsupportedInputException.class)
            .hasMessageContaining("at most 1000 bytes");
      }
    }
  }

  @Test
  void duplicateNamesAreRefused() throws Exception {
    byte[] bytes = zip(false, "model.weights.npz", "first", "model.weights.npY", "other");
    // the JDK refuses to write duplicates; make the second name equal to the first in both headers
    replaceAll(bytes, "model.weights.npY", "model.weights.npz");
    assertThatThrownBy(() -> open(bytes)).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("two entries named 'model.weights.npz'");
  }

  @Test
  void namesThatEscapeTheRootAreRefused() throws Exception {
    byte[] bytes = zip(false, "xx/evil.txt", "x");
    replaceAll(bytes, "xx/evil.txt", "../evil.txt");
    assertThatThrownBy(() -> open(bytes)).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("points outside the archive");
    byte[] windows = zip(false, "assets\\layers\\v.txt", "x");
    try (ZipReader z = open(windows)) {
      assertThat(z.entries().keySet()).containsExactly("assets/layers/v.txt");
    }
  }

  @Test
  void aDeclaredSizeDeflateCannotProduceIsABomb() throws Exception {
    byte[] bytes = zip(true, "config.json", "{}".repeat(50));
    // central directory: uncompressed size at offset 24 of the header; claim 4 GiB - 1
    int central = lastIndexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
    bytes[central + 24] = (byte) 0xfe;
    bytes[central + 25] = (byte) 0xff;
    bytes[central + 26] = (byte) 0xff;
    bytes[central + 27] = (byte) 0x7f;
    try (ZipReader z = open(bytes)) {
      assertThatThrownBy(() -> z.open(z.entry("config.json"))).isInstanceOf(CorruptInputException.class)
          .hasMessageContaining("more than deflate can produce");
    }
  }

  @Test
  void inflatingPastTheDeclaredSizeOrToAnotherCrcIsRefused() throws Exception {
    byte[] bytes = zip(true, "config.json", "{}".repeat(50));
    int central = lastIndexOf(bytes, new byte[] {0x50, 0x4b, 0x01, 0x02});
    bytes[central + 24] = 10; // declares 10 bytes, inflates to 100
    bytes[central + 25] = 0;
    try (ZipReader z = open(bytes)) {
      assertThatThrownBy(() -> z.readAll(z.entry("config.json"), 1000)).isInstanceOf(CorruptInputException.class)
          .hasMessageContaining("more than the 10 bytes");
    }
    byte[] stored = zip(false, "config.json", "{\"a\": 1}");
    int at = indexOf(stored, "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
    stored[at + 6] = '2';
    try (ZipReader z = open(stored)) {
      assertThatThrownBy(() -> z.readAll(z.entry("config.json"), 1000)).isInstanceOf(CorruptInputException.class)
          .hasMessageContaining("crc32");
    }
  }

  @Test
  void truncatedAndForeignBytesAreExplained() throws Exception {
    byte[] bytes = zip(false, "config.json", "{}");
    assertThatThrownBy(() -> open(Arrays.copyOf(bytes, bytes.length - 10))).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("end-of-central-directory");
    assertThatThrownBy(() -> open(new byte[5])).hasMessageContaining("shorter than the smallest zip");
    byte[] cut = Arrays.copyOfRange(bytes, 20, bytes.length); // the local header is gone, offsets point nowhere
    assertThatThrownBy(() -> open(cut)).isInstanceOf(CorruptInputException.class);
  }

  @Test
  void zip64DirectoriesAreRead() throws Exception {
    // more than 65535 entries: the JDK writes a ZIP64 end record and saturates the classic one
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      z.setLevel(0);
      for (int i = 0; i < 65_540; i++) {
        z.putNextEntry(new ZipEntry("e" + i));
        z.closeEntry();
      }
      z.putNextEntry(new ZipEntry("config.json"));
      z.write("{}".getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    try (ZipReader z = open(bytes.toByteArray())) {
      assertThat(z.entries()).hasSize(65_541);
      assertThat(z.readAll(z.entry("config.json"), 10)).containsExactly('{', '}');
    }
  }

  private static void replaceAll(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    byte[] t = to.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + f.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
        System.arraycopy(t, 0, bytes, i, t.length);
      }
    }
  }

  private static int indexOf(byte[] bytes, byte[] what) {
    for (int i = 0; i + what.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(byte[] bytes, byte[] what) {
    for (int i = bytes.length - what.length; i >= 0; i--) {
      if (Arrays.equals(bytes, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }
}
