package io.tfgw.cli;

import com.sun.net.httpserver.HttpServer;
import io.tfgw.converters.serving.Layout;
import io.tfgw.converters.serving.ServingSync;
import io.tfgw.converters.serving.SyncEvent;
import io.tfgw.converters.serving.SyncListener;
import io.tfgw.converters.serving.SyncOptions;
import io.tfgw.core.TfgwException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "sync", mixinStandardHelpOptions = true,
    description = "Bring a model's versions from any storage to a local directory a model server (TF Serving, "
        + "Triton, KServe) watches, one whole version at a time.",
    footer = {"",
        "Each version is downloaded into DST/.tfgw-staging-N (servers skip non-numeric names), every file checked "
            + "(crc32c against the manifest push writes, every tensor against the checkpoint's crc), converted if "
            + "asked, and renamed to DST/N in one step: a server never sees a partial version, even when sync is "
            + "killed; the next start removes what was staged. Old versions go only after the kept ones are in place.",
        "Watching polls SRC/.tfgw-versions.json with If-None-Match (one request per interval, 304 while nothing "
            + "changed), or lists SRC when there is no manifest.",
        "Exit codes: 0 every kept version is in place, 1 error (one `error: ...` line; with --watch only when it "
            + "cannot start), 2 usage error.",
        "", "Examples:",
        "  tfgw sync s3://bucket/models/mnist /models/mnist --once                # init container",
        "  tfgw sync s3://bucket/models/mnist /models/mnist --watch --interval 30s --json --health-port 8080",
        "  tfgw sync s3://bucket/models/mnist /models --layout triton --to onnx   # /models/mnist/N/model.onnx",
        "  tfgw sync s3://bucket/models/mnist /models/mnist --keep 3 --pin 12 --server-status "
            + "http://localhost:8501/v1/models/mnist"})
final class SyncCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "SRC", description = "Model base with numeric version directories, as push "
      + "writes them (any location, e.g. s3://bucket/models/NAME), or a training directory (checkpoints and their "
      + "state file; each checkpoint's step is a version; needs --to).")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "Local directory the model server watches.")
  Path destination;

  @Option(names = "--once", description = "Sync once and exit (the default; for an init container).")
  boolean once;

  @Option(names = "--watch", description = "Keep syncing every --interval until stopped (for a sidecar).")
  boolean watch;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "30s",
      description = "With --watch: time between polls, e.g. 500ms, 30s, 5m (default ${DEFAULT-VALUE}).")
  String interval;

  @Option(names = "--keep", paramLabel = "N", defaultValue = "2",
      description = "Newest versions to keep in DST (default ${DEFAULT-VALUE}); older ones are removed once these are in place.")
  int keep;

  @Option(names = "--pin", paramLabel = "VERSION", split = ",", description = "Versions to keep as well (repeatable).")
  List<Long> pinned = new ArrayList<>();

  @Option(names = "--layout", paramLabel = "LAYOUT", defaultValue = "tfserving",
      description = "tfserving (DST/N/saved_model.pb, default), triton (DST/MODEL/N/model.savedmodel|model.onnx "
          + "and DST/MODEL/config.pbtxt), kserve (DST/N/...).")
  String layout;

  @Option(names = "--model", paramLabel = "NAME", description = "Model name for --layout triton (default: SRC's last name).")
  String model;

  @Option(names = "--to", paramLabel = "FORMAT", description = "Convert each version before publishing: savedmodel or onnx.")
  String to;

  @Option(names = "--outputs", split = ",", paramLabel = "NAME", description = "With --to: graph outputs that become "
      + "the serving signature of a version that has none (a checkpoint with its .meta), as convert --outputs.")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--inputs", split = ",", paramLabel = "NAME", description = "With --to and --outputs: the "
      + "signature's inputs (default: the Placeholders the outputs need).")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--verify", description = "With --to savedmodel: run source and result on generated inputs and "
      + "publish only if they compute the same.")
  boolean verify;

  @Option(names = "--server-status", paramLabel = "URL", description = "TF Serving's model status URL "
      + "(http://host:8501/v1/models/NAME): remove old versions only after it reports the kept ones AVAILABLE.")
  URI serverStatus;

  @Option(names = "--health-port", paramLabel = "PORT", description = "Serve /healthz (the loop is alive) and /ready "
      + "(a version is in place) on this port.")
  Integer healthPort;

  @Option(names = "--json", description = "JSON lines on stdout: one object per event (published, removed, failed, "
      + "cleaned, retention_waiting, error) and per poll with --watch a stats object (requests, requests_per_hour); "
      + "with --once a final summary object.")
  boolean json;

  @Option(names = {"-j", "--parallel"}, paramLabel = "N", defaultValue = "4", description = "Files downloaded at once (default 4).")
  int parallel;

  private volatile Instant lastPoll = Instant.now();
  private volatile boolean lastPollOk;
  private volatile boolean serving;

  @Override
  public Integer call() {
    if (once && watch) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--once and --watch exclude each other");
    }
    Duration every = parseDuration(interval);
    Layout chosenLayout;
    try {
      chosenLayout = Layout.parse(layout);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--layout must be one of tfserving, triton, kserve (got '" + layout + "')");
    }
    if (to != null && !to.equals("savedmodel") && !to.equals("onnx")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--to must be savedmodel or onnx (got '" + to + "')");
    }
    if (verify && !"savedmodel".equals(to)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--verify applies to --to savedmodel (tfgw cannot "
          + "run ONNX files, and a version copied as it is was checked file by file already)");
    }
    if (to == null && !(outputs.isEmpty() && inputs.isEmpty())) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--inputs/--outputs name the signature of a "
          + "converted version; add --to savedmodel or --to onnx");
    }
    Location src = Location.parse(source);
    SyncOptions options = SyncOptions.of(src, destination)
        .withLayout(chosenLayout).withKeep(keep, new HashSet<>(pinned))
        .withConversion(Optional.ofNullable(to), verify).withSignature(inputs, outputs).withServerStatus(Optional.ofNullable(serverStatus))
        .withModelName(model != null ? model : src.fileName());
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SyncListener listener = e -> log(out, e);
    try (StorageRouter storage = common.storage(); ServingSync sync = new ServingSync(storage, options, listener)) {
      HttpServer health = healthPort == null ? null : startHealth(healthPort, every);
      try {
        if (!watch) {
          ServingSync.Round round = sync.syncOnce();
          if (json || round.failures() == 0) {
            summarize(out, sync, round);
          }
          if (round.failures() > 0) {
            String first = round.events().stream().filter(e -> e.type().equals("failed"))
                .map(e -> "version " + e.version() + ": " + e.detail()).findFirst().orElse("");
            err.println("error: " + round.failures() + " version(s) could not be brought to " + destination + " ("
                + first + "). Nothing partial was published; run again to retry.");
            err.flush();
            return Main.EXIT_ERROR;
          }
          return 0;
        }
        while (!Thread.currentThread().isInterrupted()) {
          try {
            ServingSync.Round round = sync.syncOnce();
            lastPollOk = round.failures() == 0;
            serving = !round.served().isEmpty();
          } catch (TfgwException e) {
            // a sidecar outlives a store that is down for a while: report and poll again
            lastPollOk = false;
            log(out, new SyncEvent("error", -1, e.getMessage()));
          }
          lastPoll = Instant.now();
          if (json) {
            out.println(Json.line(stats(sync)));
            out.flush();
          }
          Thread.sleep(every.toMillis());
        }
        return 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      } finally {
        if (health != null) {
          health.stop(0);
        }
      }
    }
  }

  private void log(PrintWriter out, SyncEvent e) {
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("time", Instant.now().toString());
      m.put("event", e.type());
      if (e.version() >= 0) {
        m.put("version", e.version());
      }
      m.put("detail", e.detail());
      out.println(Json.line(m));
    } else if (e.type().equals("failed") || e.type().equals("error")) {
      // --once reports the failure as its one error line; a sidecar goes on and warns
      if (watch) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("warning: " + (e.version() >= 0 ? "version " + e.version() + ": " : "") + e.detail());
        err.flush();
      }
    } else if (!common.quiet) {
      out.println(e.type() + (e.version() >= 0 ? " version " + e.version() : "") + ": " + e.detail());
    }
    out.flush();
  }

  private Map<String, Object> stats(ServingSync sync) {
    ServingSync.Stats s = sync.stats();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", Instant.now().toString());
    m.put("event", "stats");
    m.put("polls", s.polls());
    m.put("requests", s.requests());
    m.put("requests_per_hour", Math.round(s.requestsPerHour() * 10) / 10.0);
    m.put("published", s.published());
    m.put("removed", s.removed());
    m.put("failures", s.failures());
    m.put("served", s.served());
    m.put("uptime_seconds", Math.round(s.uptimeSeconds()));
    return m;
  }

  private void summarize(PrintWriter out, ServingSync sync, ServingSync.Round round) {
    if (json) {
      Map<String, Object> m = stats(sync);
      m.put("event", "done");
      m.put("source", Location.parse(source).toString());
      m.put("destination", sync.versionsDirectory().toString());
      out.println(Json.line(m));
    } else if (!common.quiet) {
      out.println("serving " + (round.served().isEmpty() ? "no version" : "versions " + round.served()) + " in "
          + sync.versionsDirectory() + " (" + sync.stats().requests() + " requests)");
    }
    out.flush();
  }

  private HttpServer startHealth(int port, Duration every) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      server.createContext("/healthz", ex -> {
        Duration since = Duration.between(lastPoll, Instant.now());
        boolean alive = since.compareTo(every.multipliedBy(3).plusSeconds(60)) < 0;
        respond(ex, alive ? 200 : 503, "{\"alive\": " + alive + ", \"seconds_since_poll\": " + since.toSeconds() + "}");
      });
      server.createContext("/ready", ex -> respond(ex, serving ? 200 : 503,
          "{\"ready\": " + serving + ", \"last_poll_ok\": " + lastPollOk + "}"));
      server.setExecutor(null);
      server.start();
      return server;
    } catch (IOException e) {
      throw new io.tfgw.core.storage.StorageException("Cannot serve the health endpoint on port " + port + ": "
          + e.getMessage(), e);
    }
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (var os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private Duration parseDuration(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(text.trim());
    if (!m.matches()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--interval must be a number with ms, s, m or h, e.g. 30s (got '" + text + "')");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    Duration d = switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.toMillis() < 10) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--interval must be at least 10ms (got '" + text + "')");
    }
    return d;
  }
}
