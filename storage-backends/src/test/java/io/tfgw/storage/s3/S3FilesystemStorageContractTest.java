package io.tfgw.storage.s3;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract on an S3-compatible store that keeps objects as files (S3Proxy's filesystem store). */
class S3FilesystemStorageContractTest extends AbstractStorageContractTest {
  private static final AtomicInteger TESTS = new AtomicInteger();
  @TempDir static Path baseDirectory;
  private static S3TestServer server;
  private static S3Storage storage;
  private final Location root = Location.parse("s3://contract/test-" + TESTS.incrementAndGet());

  @BeforeAll
  static void startServer() {
    server = S3TestServer.startOnFilesystem(baseDirectory);
    server.createBucket("contract");
    storage = new S3Storage(S3Settings.from(server.options().set("s3.part-size", String.valueOf(5 << 20)).build()));
  }

  @AfterAll
  static void stopServer() throws Exception {
    storage.close();
    server.close();
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
  protected int concurrentReadsPerThread() {
    return 20;
  }

  @Override
  protected int largeFileSize() {
    return 11 << 20; // three parts of 5 MiB, uploaded in parallel
  }

  @Override
  protected boolean supportsConditionalWrites() {
    return true;
  }
}
