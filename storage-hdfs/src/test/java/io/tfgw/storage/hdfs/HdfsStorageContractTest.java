package io.tfgw.storage.hdfs;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The storage contract on a MiniDFSCluster, started once for the class. */
class HdfsStorageContractTest extends AbstractStorageContractTest {
  private static final AtomicInteger TESTS = new AtomicInteger();
  static HdfsTestCluster cluster;
  static HdfsStorage storage;
  private final Location root = Location.parse(cluster.uri() + "/contract/test-" + TESTS.incrementAndGet());

  @BeforeAll
  static void startCluster() {
    cluster = HdfsTestCluster.start();
    storage = new HdfsStorage(HdfsStorage.configuration(cluster.options().build()));
  }

  @AfterAll
  static void stopCluster() {
    storage.close();
    cluster.close();
  }

  @Override
  protected Storage storage() {
    return storage;
  }

  @Override
  protected Location root() {
    return root;
  }

  @Override
  protected boolean hasRealDirectories() {
    return true;
  }

  @Override
  protected int concurrentReadsPerThread() {
    return 50;
  }
}
