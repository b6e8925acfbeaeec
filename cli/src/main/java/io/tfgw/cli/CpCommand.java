package io.tfgw.cli;

import io.tfgw.converters.manage.CopyResult;
import io.tfgw.converters.manage.Copier;
import io.tfgw.converters.manage.Transfer;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "cp", mixinStandardHelpOptions = true,
    description = "Copy files or directory trees between any locations (local, s3://, gs://, az://, hdfs://, archive!/path; "
        + "http(s):// as source), several at a "
        + "time, checking each copy's crc32c.",
    footer = {"", "A trailing '/' makes DST a directory; an archive DST (out.tar.gz!/) appears only when all copies succeed.",
        "", "Examples:",
        "  tfgw cp model.ckpt-2000 s3://bucket/run1/            # every model.ckpt-2000.* file",
        "  tfgw cp -r train_dir s3://bucket/run1                # a directory tree",
        "  tfgw cp -r s3://bucket/export/7 export.tar.gz!/7      # into a new archive",
        "  tfgw cp -r models.zip!/ s3://other/models --endpoint http://127.0.0.1:9000 --path-style"})
final class CpCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "SRC", description = "File, directory (with -r), or prefix (model.ckpt-100)")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "Destination file, prefix, or directory (trailing '/')")
  String destination;

  @Option(names = {"-r", "--recursive"}, description = "Copy a directory and everything below it.")
  boolean recursive;

  @Option(names = {"-j", "--parallel"}, paramLabel = "N", defaultValue = "4", description = "Files copied at once (default 4).")
  int parallel;

  @Option(names = "--json", description = "Print one JSON object: source, destination, files, bytes, "
      + "verified_by_store, transfers.")
  boolean json;

  @Override
  public Integer call() {
    CopyResult result;
    List<Transfer> plan;
    try (StorageRouter storage = common.storage()) {
      Copier copier = new Copier(storage, parallel);
      boolean intoDirectory = destination.endsWith("/") || destination.endsWith("!");
      plan = copier.plan(Location.parse(source), Location.parse(destination), intoDirectory, recursive);
      result = copier.copy(plan, ProgressLine.forCopy(common.quiet || json));
      storage.commit();
    }
    if (json) {
      PrintWriter out = spec.commandLine().getOut();
      out.println(Json.write(toJson(result, plan)));
      out.flush();
    } else if (!common.quiet) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("copied " + result.files() + (result.files() == 1 ? " file, " : " files, ") + Sizes.human(result.bytes())
          + " (crc32c verified" + (result.verifiedByStore() > 0 ? ", " + result.verifiedByStore() + " by the store" : "") + ")");
      out.flush();
    }
    return 0;
  }

  private Map<String, Object> toJson(CopyResult result, List<Transfer> plan) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", Location.parse(source).toString());
    m.put("destination", Location.parse(destination).toString());
    m.put("files", result.files());
    m.put("bytes", result.bytes());
    m.put("verified_by_store", result.verifiedByStore());
    List<Map<String, Object>> transfers = new ArrayList<>();
    for (Transfer t : plan) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("source", t.source().toString());
      e.put("destination", t.destination().toString());
      e.put("bytes", t.length());
      transfers.add(e);
    }
    m.put("transfers", transfers);
    return m;
  }
}
