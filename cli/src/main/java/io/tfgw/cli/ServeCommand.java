package io.tfgw.cli;

import io.tfgw.serve.ServeOptions;
import io.tfgw.serve.TfgwServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve the models under ROOT over HTTP: Hugging Face-compatible file API (with a virtual "
        + "model.safetensors beside every checkpoint), conversion on request, TF Serving metadata, and a web page "
        + "to look inside models (tensor statistics and histograms, checkpoint timelines and diffs).",
        "Read-only. Without --token it listens on loopback only. One access-log line per request on stderr."},
    footer = {"", "Examples:",
        "  tfgw serve ./models                                  # http://127.0.0.1:8080/",
        "  tfgw serve s3://bucket/models --endpoint http://127.0.0.1:9000 --path-style --port 9090",
        "  tfgw serve models.tar.gz!/ --port 0                  # any free port (printed)",
        "  tfgw serve /srv/models --bind 0.0.0.0 --token \"$(cat token)\"   # beyond loopback: a token is required",
        "",
        "Clients:",
        "  curl -H 'Range: bytes=0-1023' http://127.0.0.1:8080/team/bert/resolve/main/model.safetensors",
        "  curl -OJ 'http://127.0.0.1:8080/api/convert/team/run1?to=safetensors'",
        "  curl http://127.0.0.1:8080/v1/models/mnist/metadata",
        "  HF_ENDPOINT=http://127.0.0.1:8080 huggingface-cli download team/bert   # or @huggingface/hub's hubUrl"})
final class ServeCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(paramLabel = "ROOT", description = "The directory, bucket prefix or archive to serve; nothing outside it is read.")
  String root;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port (0: any free port; default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Require Authorization: Bearer TOKEN (browsers: any user, TOKEN as password). Needed to listen beyond loopback.")
  String token;

  @Option(names = "--max-conversions", paramLabel = "N", defaultValue = "2", description = "Conversions running at once; more get 503 (default: ${DEFAULT-VALUE}).")
  int maxConversions;

  @Option(names = "--cache", paramLabel = "DIR", description = "Where converted models are kept by content key (default: the temp directory's tfgw-serve-cache).")
  Path cache;

  @Option(names = "--cache-max-size", paramLabel = "SIZE", defaultValue = "10G", description = "Bound of the cache (bytes, or K/M/G/T, e.g. 20G); least recently used results are evicted beyond it, a larger result is streamed uncached (default: ${DEFAULT-VALUE}).")
  String cacheMaxSize;

  @Override
  public Integer call() throws InterruptedException {
    if (maxConversions < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--max-conversions must be at least 1");
    }
    long cacheMaxBytes;
    try {
      cacheMaxBytes = ServeOptions.parseSize(cacheMaxSize);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cache-max-size: " + e.getMessage());
    }
    ServeOptions options = ServeOptions.of(root).withCacheMaxBytes(cacheMaxBytes).withPort(port).withBind(bind).withToken(token)
        .withMaxConversions(maxConversions);
    if (cache != null) {
      options = options.withCacheDirectory(cache);
    }
    try (TfgwServer server = TfgwServer.start(options, common.storage())) {
      PrintWriter out = spec.commandLine().getOut();
      String host = bind.contains(":") ? "[" + bind + "]" : bind;
      out.println("tfgw serve: " + root + " on http://" + host + ":" + server.port() + "/"
          + (token == null ? "" : " (token required)"));
      out.flush();
      server.join();
    }
    return 0;
  }
}
