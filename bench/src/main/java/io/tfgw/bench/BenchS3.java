package io.tfgw.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * S3Proxy on 127.0.0.1 over its filesystem blob store (the in-memory one fails the AWS CLI's gigabyte multipart
 * uploads), shared by tfgw and the AWS CLI in the benchmark.
 */
final class BenchS3 implements AutoCloseable {
  static final String ACCESS_KEY = "tfgw-bench";
  static final String SECRET_KEY = "tfgw-bench-secret";

  private final S3Proxy proxy;
  private final BlobStore store;

  private BenchS3(S3Proxy proxy, BlobStore store) {
    this.proxy = proxy;
    this.store = store;
  }

  static BenchS3 start(Path baseDir) throws Exception {
    Properties p = new Properties();
    p.setProperty("jclouds.filesystem.basedir", baseDir.toString());
    BlobStore store = BlobStores.create("filesystem", p);
    S3Proxy proxy = S3Proxy.builder().blobStore(store)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .endpoint(URI.create("http://127.0.0.1:0")).ignoreUnknownHeaders(true).build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(5);
    }
    return new BenchS3(proxy, store);
  }

  /** The seconds of each round of the S3 rows, tfgw's and the AWS CLI's, up and down. */
  static final class Rounds {
    final java.util.List<Double> up = new java.util.ArrayList<>();
    final java.util.List<Double> down = new java.util.ArrayList<>();
    final java.util.List<Double> awsUp = new java.util.ArrayList<>();
    final java.util.List<Double> awsDown = new java.util.ArrayList<>();

    /** The CLI failed: its columns show n/a rather than a median of the rounds it finished. */
    void awsFailed() {
      awsUp.clear();
      awsDown.clear();
    }
  }

  /** The median (the mean of the middle two for an even count); NaN for no values. */
  static double median(java.util.List<Double> seconds) {
    if (seconds.isEmpty()) {
      return Double.NaN;
    }
    double[] s = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  void createBucket(String name) {
    store.createContainer(CreateBucketRequest.builder().bucket(name).build());
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
