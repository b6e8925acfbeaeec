package io.tfgw.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveStorageTest {
  @TempDir Path dir;
  private final StorageRouter storage = StorageRouter.create();

  @AfterEach
  void close() {
    storage.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String text(String location) {
    return new String(storage.inputFile(Location.parse(location)).readAllBytes(), StandardCharsets.UTF_8);
  }

  private Path zip(String name, String... namesAndContents) throws Exception {
    Path file = dir.resolve(name);
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
      for (int i = 0; i < namesAndContents.length; i += 2) {
        out.putNextEntry(new ZipEntry(namesAndContents[i]));
        out.write(utf8(namesAndContents[i + 1]));
        out.closeEntry();
      }
    }
    return file;
  }

  private Path tarGz(String name, TarArchiveEntry... entries) throws Exception {
    Path file = dir.resolve(name);
    try (OutputStream raw = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(raw))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (TarArchiveEntry e : entries) {
        byte[] content = e.isFile() ? utf8("content of " + e.getName()) : new byte[0];
        if (e.isFile()) {
          e.setSize(content.length);
        }
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return file;
  }

  @Test
  void readsDeflatedZipEntriesAndSkipsDirectories() throws Exception {
    Path z = zip("model.zip", "export/", "", "export/1/saved_model.pb", "graph", "./export/1/variables/v.index", "idx");
    assertThat(storage.list(Location.parse(z + "!/"))).extracting(e -> e.location().toString())
        .containsExactly(z + "!/export/1/saved_model.pb", z + "!/export/1/variables/v.index");
    assertThat(text(z + "!/export/1/saved_model.pb")).isEqualTo("graph");
    assertThat(storage.isDirectory(Location.parse(z + "!/export/1"))).isTrue();
    assertThat(storage.exists(Location.parse(z + "!/export/2/saved_model.pb"))).isFalse();
  }

  @Test
  void readsTarGzWithLongNames() throws Exception {
    String longName = "a/" + "very-long-directory-name/".repeat(8) + "file.bin";
    Path t = tarGz("m.tar.gz", new TarArchiveEntry("a/"), new TarArchiveEntry(longName), new TarArchiveEntry("b.txt"));
    assertThat(storage.list(Location.parse(t + "!/"))).extracting(FileEntry::location)
        .containsExactly(Location.parse(t + "!/" + longName), Location.parse(t + "!/b.txt"));
    assertThat(text(t + "!/b.txt")).isEqualTo("content of b.txt");
  }

  @Test
  void refusesEntriesThatEscapeTheArchive() throws Exception {
    Path slip = zip("slip.zip", "ok.txt", "x", "../../evil.sh", "boom");
    assertThatThrownBy(() -> storage.list(Location.parse(slip + "!/"))).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("../../evil.sh").hasMessageContaining("outside the archive");
    Path absolute = tarGz("abs.tar.gz", new TarArchiveEntry("/etc/passwd", true));
    assertThatThrownBy(() -> storage.exists(Location.parse(absolute + "!/etc/passwd")))
        .isInstanceOf(UnsupportedInputException.class).hasMessageContaining("/etc/passwd");
    TarArchiveEntry link = new TarArchiveEntry("data", TarArchiveEntry.LF_SYMLINK);
    link.setLinkName("/etc/shadow");
    Path linked = tarGz("link.tar.gz", link);
    assertThatThrownBy(() -> storage.list(Location.parse(linked + "!/"))).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("link 'data'");
  }

  @Test
  void notAnArchiveIsExplained() throws Exception {
    Path plain = dir.resolve("model.ckpt.index");
    Files.write(plain, new byte[1000]);
    Files.write(plain, utf8("not an archive at all, just text that is long enough".repeat(20)));
    assertThatThrownBy(() -> storage.list(Location.parse(plain + "!/"))).isInstanceOf(UnsupportedInputException.class)
        .hasMessageContaining("is not a zip, tar or tar.gz archive");
    assertThatThrownBy(() -> storage.outputFile(Location.parse(dir + "/out.rar!/x")).create())
        .isInstanceOf(UnsupportedInputException.class).hasMessageContaining("*.zip, *.tar, *.tar.gz or *.tgz");
  }

  @Test
  void nothingAppearsWithoutCommit() {
    Location entry = Location.parse(dir + "/out.tar.gz!/export/1/saved_model.pb");
    storage.outputFile(entry).write(utf8("graph"));
    assertThat(storage.exists(entry)).isTrue(); // the command itself sees what it wrote ...
    storage.close(); // ... but it did not commit
    assertThat(Files.exists(dir.resolve("out.tar.gz"))).isFalse();
    try (StorageRouter fresh = StorageRouter.create()) {
      assertThat(fresh.exists(entry)).isFalse();
    }
  }

  @Test
  void writingUpdatesAnExistingArchive() throws Exception {
    Path z = zip("m.zip", "a.txt", "A", "b.txt", "B");
    storage.outputFile(Location.parse(z + "!/c.txt")).write(utf8("C"));
    storage.outputFile(Location.parse(z + "!/b.txt")).write(utf8("B2"));
    storage.delete(Location.parse(z + "!/a.txt"));
    assertThat(text(z + "!/a.txt".replace("a.txt", "b.txt"))).isEqualTo("B2");
    storage.commit();
    try (StorageRouter fresh = StorageRouter.create()) {
      assertThat(fresh.list(Location.parse(z + "!/"))).extracting(e -> e.location().fileName())
          .containsExactly("b.txt", "c.txt");
      assertThat(new String(fresh.inputFile(Location.parse(z + "!/b.txt")).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("B2");
    }
  }

  @Test
  void archivesInsideArchivesAreWrittenInnermostFirst() {
    Location inner = Location.parse(dir + "/outer.zip!/models/inner.tar.gz!/weights.bin");
    storage.outputFile(inner).write(utf8("w"));
    storage.outputFile(Location.parse(dir + "/outer.zip!/README")).write(utf8("r"));
    storage.commit();
    try (StorageRouter fresh = StorageRouter.create()) {
      assertThat(fresh.list(Location.parse(dir + "/outer.zip!/"))).extracting(e -> e.location().path())
          .containsExactly("README", "models/inner.tar.gz");
      assertThat(fresh.inputFile(inner).readAllBytes()).isEqualTo(utf8("w"));
    }
  }

  /** A zip of one deflated entry of {@code size} zero bytes, with the sizes its headers declare replaced. */
  private Path zipDeclaring(String name, int size, long declared) throws Exception {
    Path file = dir.resolve(name);
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
      out.putNextEntry(new ZipEntry("big.bin"));
      out.write(new byte[size]);
      out.closeEntry();
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 4 <= b.capacity(); i++) {
      int sig = b.getInt(i);
      if (sig == 0x02014b50) { // central directory header: uncompressed size at +24
        b.putInt(i + 24, (int) declared);
      } else if (sig == 0x08074b50) { // data descriptor: uncompressed size at +12
        b.putInt(i + 12, (int) declared);
      }
    }
    Files.write(file, b.array());
    return file;
  }

  @Test
  void aZipEntryDeclaringMoreThanDeflateCanProduceIsRefusedBeforeInflating() throws Exception {
    Path z = zipDeclaring("bomb.zip", 10_000, 0xF000_0000L);
    Location entry = Location.parse(z + "!/big.bin");
    assertThatThrownBy(() -> storage.inputFile(entry).open())
        .isInstanceOf(io.tfgw.core.CorruptInputException.class)
        .hasMessageContaining("big.bin").hasMessageContaining("declares 4026531840 bytes")
        .hasMessageContaining("decompression bomb");
  }

  @Test
  void aZipEntryThatInflatesBeyondItsDeclaredSizeIsStoppedThere() throws Exception {
    Path z = zipDeclaring("liar.zip", 5 << 20, 1000);
    Location entry = Location.parse(z + "!/big.bin");
    assertThatThrownBy(() -> storage.inputFile(entry).open())
        .isInstanceOf(io.tfgw.core.CorruptInputException.class)
        .hasMessageContaining("more than the 1000 bytes the archive declares");
  }

  @Test
  void aTarGzIsBoundedByTheUsersCap() throws Exception {
    Path file = dir.resolve("zeros.tar.gz");
    try (OutputStream raw = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(raw))) {
      TarArchiveEntry e = new TarArchiveEntry("zeros.bin");
      e.setSize(8 << 20);
      tar.putArchiveEntry(e);
      tar.write(new byte[8 << 20]);
      tar.closeArchiveEntry();
    }
    assertThat(Files.size(file)).isLessThan(100_000); // 8 MiB of zeros: a tiny bomb
    try (StorageRouter capped = StorageRouter.create(io.tfgw.core.storage.StorageOptions.builder()
        .set("archive.max-inflated-bytes", String.valueOf(1 << 20)).build())) {
      assertThatThrownBy(() -> capped.list(Location.parse(file + "!/")))
          .isInstanceOf(io.tfgw.core.CorruptInputException.class)
          .hasMessageContaining("archive.max-inflated-bytes limit of 1048576 bytes");
    }
    // without the cap it is just a file of zeros
    assertThat(storage.inputFile(Location.parse(file + "!/zeros.bin")).length()).isEqualTo(8 << 20);
  }

  @Test
  void inflationLimitsTakeTheSmallestBound() {
    assertThat(InflationLimit.of(1000, Long.MAX_VALUE, java.util.OptionalLong.empty()).bytes())
        .isEqualTo(1000 * InflationLimit.MAX_RATIO + 65_536);
    assertThat(InflationLimit.of(1L << 40, (1L << 30) + InflationLimit.DISK_RESERVE, java.util.OptionalLong.empty()))
        .satisfies(l -> assertThat(l.bytes()).isEqualTo(1L << 30))
        .satisfies(l -> assertThat(l.reason()).contains("free for temp files"));
    assertThat(InflationLimit.of(1L << 40, Long.MAX_VALUE, java.util.OptionalLong.of(5)).bytes()).isEqualTo(5);
    // no overflow on absurd sizes
    assertThat(InflationLimit.of(Long.MAX_VALUE / 2, Long.MAX_VALUE, java.util.OptionalLong.empty()).bytes())
        .isEqualTo(Long.MAX_VALUE - InflationLimit.DISK_RESERVE);
  }
}
