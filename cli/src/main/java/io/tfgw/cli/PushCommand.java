package io.tfgw.cli;

import io.tfgw.converters.manage.Copier;
import io.tfgw.converters.manage.PushResult;
import io.tfgw.converters.manage.Pusher;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Put a SavedModel where TF Serving finds it: BASE/<version>/saved_model.pb + variables/, the "
        + "version being the next number unless given.",
    footer = {"", "saved_model.pb is written last, so TF Serving never sees a half-copied version.", "", "Examples:",
        "  tfgw push export/1 s3://bucket/models/mnist              # -> s3://bucket/models/mnist/<next>/",
        "  tfgw push export/1 s3://bucket/models/mnist --version 7"})
final class PushCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "MODEL", description = "SavedModel directory (any location)")
  String model;

  @Parameters(index = "1", paramLabel = "BASE", description = "Model base path, e.g. s3://bucket/models/NAME")
  String base;

  @Option(names = "--version", paramLabel = "N", description = "Version number to create (default: highest + 1, or 1).")
  Long version;

  @Option(names = {"-j", "--parallel"}, paramLabel = "N", defaultValue = "4", description = "Files copied at once (default 4).")
  int parallel;

  @Option(names = "--json", description = "Print one JSON object: model, base, version, version_directory, files, bytes.")
  boolean json;

  @Override
  public Integer call() {
    PushResult result;
    try (StorageRouter storage = common.storage()) {
      Pusher pusher = new Pusher(storage, new Copier(storage, parallel));
      result = pusher.push(Location.parse(model), Location.parse(base),
          version == null ? OptionalLong.empty() : OptionalLong.of(version), ProgressLine.forCopy(common.quiet || json));
      storage.commit();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", Location.parse(model).toString());
      m.put("base", Location.parse(base).toString());
      m.put("version", result.version());
      m.put("version_directory", result.versionDirectory().toString());
      m.put("files", result.copy().files());
      m.put("bytes", result.copy().bytes());
      m.put("verified_by_store", result.copy().verifiedByStore());
      out.println(Json.write(m));
    } else if (!common.quiet) {
      out.println("pushed version " + result.version() + " to " + result.versionDirectory() + " ("
          + result.copy().files() + " files, " + Sizes.human(result.copy().bytes()) + ", crc32c verified)");
    } else {
      out.println(result.versionDirectory());
    }
    out.flush();
    return 0;
  }
}
