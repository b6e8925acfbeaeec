package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.StorageOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for tests: Hadoop's {@code MiniDFSCluster} (a namenode and one datanode) in this JVM, on loopback
 * ports, with its storage below {@code target/}. Starting one takes several seconds, so tests start one per class.
 */
public final class HdfsTestCluster implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private HdfsTestCluster(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  public static HdfsTestCluster start() {
    try {
      Path base = Files.createDirectories(Path.of("target", "minidfs")).toAbsolutePath();
      Path dir = Files.createTempDirectory(base, "cluster-");
      // Hadoop looks for HADOOP_HOME's bin/winutils only on Windows; a set home keeps it from warning elsewhere
      System.setProperty("hadoop.home.dir", dir.toString());
      Configuration conf = new Configuration();
      conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
      conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
      conf.set("dfs.datanode.address", "127.0.0.1:0");
      conf.set("dfs.datanode.http.address", "127.0.0.1:0");
      conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
      conf.set("dfs.namenode.http-address", "127.0.0.1:0");
      conf.setInt("dfs.blocksize", 1 << 20); // small blocks: test files span several, as real checkpoints do
      conf.setInt("dfs.namenode.fs-limits.min-block-size", 1024);
      MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
      cluster.waitActive();
      return new HdfsTestCluster(cluster);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start MiniDFSCluster", e);
    }
  }

  /** {@code hdfs://127.0.0.1:PORT}: the namenode's address, the authority of this cluster's locations. */
  public String uri() {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  /** Options for tfgw's HDFS backend (the cluster needs none beyond its URI; small blocks as above). */
  public StorageOptions.Builder options() {
    return StorageOptions.builder().set("hdfs.conf.dfs.blocksize", String.valueOf(1 << 20));
  }

  public MiniDFSCluster cluster() {
    return cluster;
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
