package io.tfgw.cli;

import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageRouter;
import picocli.CommandLine.Option;

/** Options every command takes: storage settings and verbosity. */
final class CommonOptions {
  @Option(names = "--debug", description = "Print stack traces and causes of errors.")
  boolean debug;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors and requested output.")
  boolean quiet;

  @Option(names = "--endpoint", paramLabel = "URL",
      description = "S3 endpoint for s3:// on S3-compatible stores (default: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).")
  String endpoint;

  @Option(names = "--path-style", description = "Use path-style S3 addressing (MinIO, Ceph, S3Proxy).")
  boolean pathStyle;

  @Option(names = "--azure-endpoint", paramLabel = "URL",
      description = "Blob service URL of the az:// account, for Azurite and sovereign clouds "
          + "(e.g. http://127.0.0.1:10000/devstoreaccount1; default https://ACCOUNT.blob.core.windows.net). "
          + "Credentials: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY or the Azure default chain.")
  String azureEndpoint;

  @Option(names = "--gcs-endpoint", paramLabel = "URL",
      description = "GCS XML API endpoint for gs:// (default https://storage.googleapis.com). "
          + "Credentials: an HMAC key in GCS_HMAC_ACCESS_KEY_ID and GCS_HMAC_SECRET.")
  String gcsEndpoint;

  @Option(names = "--hadoop-conf", paramLabel = "DIR",
      description = "Directory with core-site.xml/hdfs-site.xml for hdfs:// (default: HADOOP_CONF_DIR).")
  String hadoopConf;

  StorageRouter storage() {
    return StorageRouter.create(StorageOptions.builder()
        .set("s3.endpoint", endpoint)
        .set("s3.path-style", pathStyle ? "true" : null)
        .set("azure.endpoint", azureEndpoint)
        .set("gcs.endpoint", gcsEndpoint)
        .set("hdfs.config-dir", hadoopConf)
        .build());
  }
}
