package io.tfgw.storage.s3;

import io.tfgw.core.storage.StorageOptions;
import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy in this JVM, on 127.0.0.1 and a free port, keeping objects in memory
 * ({@link #start()}: as files of an in-memory file system) or as files below a directory
 * ({@link #startOnFilesystem}). Tests talk to it through the real SDK; nothing is mocked.
 */
public final class S3TestServer implements AutoCloseable {
  public static final String ACCESS_KEY = "tfgw-test-key";
  public static final String SECRET_KEY = "tfgw-test-secret";

  private final S3Proxy proxy;
  private final URI endpoint;
  private final S3Client admin;

  private S3TestServer(S3Proxy proxy, URI endpoint) {
    this.proxy = proxy;
    this.endpoint = endpoint;
    this.admin = S3Client.builder()
        .httpClient(UrlConnectionHttpClient.create())
        .endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }

  public static S3TestServer start() {
    return start(java.util.function.UnaryOperator.identity());
  }

  /** A server whose blob store is wrapped, e.g. to inject failures. */
  public static S3TestServer start(java.util.function.UnaryOperator<org.gaul.s3proxy.blobstore.BlobStore> wrap) {
    return start("transient", new Properties(), wrap);
  }

  /**
   * A server whose buckets are directories below {@code baseDirectory} and whose objects are files (S3Proxy's
   * {@code filesystem} store). Such a store behaves as a file system where S3 does not: a key below a key that is
   * an object ({@code a/b} when {@code a} is a file) is a path through a file, which it answers with an error
   * instead of 404. Many self-hosted "S3-compatible" stores keep objects as files this way.
   */
  public static S3TestServer startOnFilesystem(java.nio.file.Path baseDirectory) {
    return startOnFilesystem(baseDirectory, java.util.function.UnaryOperator.identity());
  }

  /** A filesystem-backed server whose blob store is wrapped, e.g. to record or fail requests. */
  public static S3TestServer startOnFilesystem(java.nio.file.Path baseDirectory,
      java.util.function.UnaryOperator<org.gaul.s3proxy.blobstore.BlobStore> wrap) {
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", baseDirectory.toAbsolutePath().toString());
    return start("filesystem", properties, wrap);
  }

  private static S3TestServer start(String provider, Properties properties,
      java.util.function.UnaryOperator<org.gaul.s3proxy.blobstore.BlobStore> wrap) {
    try {
      properties.setProperty("jclouds.identity", ACCESS_KEY);
      properties.setProperty("jclouds.credential", SECRET_KEY);
      S3Proxy proxy = S3Proxy.builder()
          .blobStore(wrap.apply(BlobStores.create(provider, properties)))
          .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
          .endpoint(URI.create("http://127.0.0.1:0"))
          .ignoreUnknownHeaders(true)
          .build();
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.sleep(5);
      }
      return new S3TestServer(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy", e);
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  /** An SDK client for setting up and checking buckets behind tfgw's back. */
  public S3Client admin() {
    return admin;
  }

  public void createBucket(String name) {
    admin.createBucket(b -> b.bucket(name));
  }

  /** Options that point tfgw's S3 backend at this server. */
  public StorageOptions.Builder options() {
    return StorageOptions.builder()
        .set("s3.endpoint", endpoint.toString())
        .set("s3.path-style", "true")
        .set("s3.region", "us-east-1")
        .set("s3.access-key-id", ACCESS_KEY)
        .set("s3.secret-access-key", SECRET_KEY);
  }

  /**
   * Makes the AWS default chains (credentials, region) find this server's keys, for code that builds its own
   * options from the command line (the CLI). Returns the endpoint to pass as {@code --endpoint}.
   */
  public String useAsDefault() {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    System.setProperty("aws.region", "us-east-1");
    return endpoint.toString();
  }

  @Override
  public void close() throws Exception {
    admin.close();
    proxy.stop();
  }
}
