package io.tfgw.storage.gcs;

import io.tfgw.core.storage.AbstractStorageContractTest;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageRouter;
import io.tfgw.storage.s3.S3TestServer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage contract for {@code gs://} locations, through the GCS backend exactly as the command line builds it
 * (the provider found by the router, HMAC keys, GCS's request settings: no additional checksums), against S3Proxy
 * standing in for GCS's XML API. What S3Proxy cannot show about real GCS is listed in README (Storage).
 */
class GcsStorageContractTest extends AbstractStorageContractTest {
  private static final AtomicInteger TESTS = new AtomicInteger();
  private static S3TestServer server;
  private static StorageRouter router;
  private final Location root = Location.parse("gs://contract-bucket/test-" + TESTS.incrementAndGet());

  @BeforeAll
  static void startServer() {
    server = S3TestServer.start();
    server.createBucket("contract-bucket");
    router = StorageRouter.create(StorageOptions.builder()
        .set("gcs.endpoint", server.endpoint().toString())
        .set("gcs.hmac-access-key-id", S3TestServer.ACCESS_KEY)
        .set("gcs.hmac-secret", S3TestServer.SECRET_KEY)
        .set("s3.part-size", String.valueOf(5 << 20))
        .build());
  }

  @AfterAll
  static void stopServer() throws Exception {
    router.close();
    server.close();
  }

  @Override
  protected Storage storage() {
    return router;
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
    return 11 << 20; // a multipart upload of three parts
  }

  /** Not offered on GCS: its XML API takes no preconditions on uploads tfgw could rely on. */
  @Override
  protected boolean supportsConditionalWrites() {
    return false;
  }

}
