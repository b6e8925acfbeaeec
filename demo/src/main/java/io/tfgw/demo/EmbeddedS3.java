package io.tfgw.demo;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/** An S3 server on 127.0.0.1 (S3Proxy over an in-memory blob store), for the demo only. */
final class EmbeddedS3 implements AutoCloseable {
  static final String ACCESS_KEY = "tfgw-demo";
  static final String SECRET_KEY = "tfgw-demo-secret";

  private final S3Proxy proxy;
  private final BlobStore store;

  private EmbeddedS3(S3Proxy proxy, BlobStore store) {
    this.proxy = proxy;
    this.store = store;
  }

  static EmbeddedS3 start() throws Exception {
    Properties properties = new Properties();
    properties.setProperty("jclouds.identity", ACCESS_KEY);
    properties.setProperty("jclouds.credential", SECRET_KEY);
    BlobStore store = BlobStores.create("transient", properties);
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(store)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .endpoint(URI.create("http://127.0.0.1:0"))
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the embedded S3 server did not start: " + proxy.getState());
      }
      Thread.sleep(5);
    }
    return new EmbeddedS3(proxy, store);
  }

  String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  void createBucket(String name) {
    store.createContainer(CreateBucketRequest.builder().bucket(name).build());
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
