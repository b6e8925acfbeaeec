package io.tfgw.storage.hdfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.storage.StorageOptions;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HDFS specifics on a MiniDFSCluster: the stored CRC32C, hidden temp files, clear errors. */
class HdfsStorageTest {
  static HdfsTestCluster cluster;
  static HdfsStorage storage;

  @BeforeAll
  static void start() {
    cluster = HdfsTestCluster.start();
    storage = new HdfsStorage(HdfsStorage.configuration(cluster.options().build()));
  }

  @AfterAll
  static void stop() {
    storage.close();
    cluster.close();
  }

  @Test
  void theStoredChecksumIsTheCrc32cOfTheWholeFileOverSeveralBlocks() throws Exception {
    byte[] content = new byte[(5 << 20) / 2 + 123]; // three 1 MiB blocks, the last one partial
    new Random(1).nextBytes(content);
    Location loc = Location.parse(cluster.uri() + "/sums/model.ckpt.data-00000-of-00001");
    storage.outputFile(loc).write(content);
    CRC32C crc = new CRC32C();
    crc.update(content);
    assertThat(storage.crc32c(loc)).hasValue((int) crc.getValue());
    FileSystem fs = cluster.cluster().getFileSystem();
    assertThat(fs.getFileBlockLocations(new Path("/sums/model.ckpt.data-00000-of-00001"), 0, content.length)).hasSize(3);

    content[100] ^= 1;
    storage.outputFile(loc).write(content);
    assertThat(storage.crc32c(loc)).as("a different file has another checksum").isPresent()
        .isNotEqualTo(java.util.OptionalInt.of((int) crc.getValue()));
  }

  @Test
  void unfinishedWritesAreHiddenTempFilesAndAbortsRemoveThem() throws Exception {
    Location loc = Location.parse(cluster.uri() + "/pending/saved_model.pb");
    FileSystem fs = cluster.cluster().getFileSystem();
    try (AtomicOutputStream out = storage.outputFile(loc).create()) {
      out.write(new byte[1000]);
      out.flush();
      FileStatus[] there = fs.listStatus(new Path("/pending"));
      assertThat(there).extracting(s -> s.getPath().getName()).singleElement().asString()
          .startsWith(".saved_model.pb.tfgw-").endsWith(".tmp");
      assertThat(storage.list(loc.parent())).isEmpty();
      assertThat(storage.exists(loc)).isFalse();
    }
    assertThat(fs.listStatus(new Path("/pending"))).isEmpty();
  }

  @Test
  void aDeadNamenodeFailsFastNamingIt() {
    try (HdfsStorage other = new HdfsStorage(HdfsStorage.configuration(StorageOptions.defaults()))) {
      long start = System.nanoTime();
      Location loc = Location.parse("hdfs://127.0.0.1:1/x/model.ckpt.index");
      assertThatThrownBy(() -> other.exists(loc)).isInstanceOf(StorageException.class)
          .hasMessageContaining(loc.toString()).hasMessageContaining("namenode refuses connections");
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(20_000);
      assertThatThrownBy(() -> other.exists(Location.parse("hdfs:///x/y"))).isInstanceOf(StorageException.class)
          .hasMessageContaining("no default HDFS is configured");
    }
  }

  @Test
  void readsArePositionalAcrossBlocks() {
    byte[] content = new byte[3 << 20];
    new Random(2).nextBytes(content);
    Location loc = Location.parse(cluster.uri() + "/reads/big.bin");
    storage.outputFile(loc).write(content);
    try (var in = storage.inputFile(loc).open()) {
      int at = (1 << 20) - 10; // across the first block boundary
      assertThat(in.readFully(at, 20)).isEqualTo(Arrays.copyOfRange(content, at, at + 20));
    }
  }
}
