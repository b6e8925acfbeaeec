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
      description = "S3 endpoint for S3-compatible stores (default: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).")
  String endpoint;

  @Option(names = "--path-style", description = "Use path-style S3 addressing (MinIO, Ceph, S3Proxy).")
  boolean pathStyle;

  StorageRouter storage() {
    return StorageRouter.create(StorageOptions.builder()
        .set("s3.endpoint", endpoint)
        .set("s3.path-style", pathStyle ? "true" : null)
        .build());
  }
}
