package io.tfgw.cli;

import io.tfgw.converters.manage.CheckpointCatalog;
import io.tfgw.converters.manage.CheckpointEntry;
import io.tfgw.converters.manage.CheckpointListing;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
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

@Command(name = "ls", mixinStandardHelpOptions = true,
    description = "List files, or the checkpoints of a directory (step, files, size, which one is latest).",
    footer = {"", "Examples:",
        "  tfgw ls train_dir/                     # checkpoints, the latest marked",
        "  tfgw ls s3://bucket/models/mnist --json",
        "  tfgw ls export.tar.gz!/"})
final class LsCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(paramLabel = "LOCATION", description = "Directory, prefix or file: local, s3://..., archive!/path")
  String location;

  @Option(names = "--json", description = "Print one JSON object: location, latest, checkpoints, files, warnings.")
  boolean json;

  @Override
  public Integer call() {
    Location loc = Location.parse(location);
    CheckpointListing listing;
    try (StorageRouter storage = common.storage()) {
      if (storage.exists(loc)) {
        listing = new CheckpointListing(loc.parent(), List.of(), null,
            List.of(new FileEntry(loc, storage.inputFile(loc).length())), List.of());
      } else {
        listing = new CheckpointCatalog(storage).list(loc);
        if (listing.checkpoints().isEmpty() && listing.otherFiles().isEmpty()) {
          throw new LocationNotFoundException(loc, "Nothing at " + loc + " (no file, and no files below it)");
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(toJson(loc, listing)));
    } else {
      InspectCommand.printWarnings(spec.commandLine().getErr(), listing.warnings());
      print(out, listing);
    }
    out.flush();
    return 0;
  }

  private static Map<String, Object> toJson(Location loc, CheckpointListing listing) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("location", loc.toString());
    m.put("latest", listing.latest() == null ? null : listing.latest().toString());
    List<Map<String, Object>> checkpoints = new ArrayList<>();
    for (CheckpointEntry c : listing.checkpoints()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("prefix", c.prefix().toString());
      e.put("name", c.name());
      e.put("step", c.step());
      e.put("bytes", c.bytes());
      e.put("latest", c.latest());
      e.put("complete", c.complete());
      e.put("missing_files", c.missingFiles().stream().map(Location::toString).toList());
      e.put("files", files(listing.directory(), c.files()));
      checkpoints.add(e);
    }
    m.put("checkpoints", checkpoints);
    m.put("files", files(listing.directory(), listing.otherFiles()));
    if (!listing.warnings().isEmpty()) {
      m.put("warnings", listing.warnings());
    }
    return m;
  }

  private static List<Map<String, Object>> files(Location dir, List<FileEntry> files) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (FileEntry f : files) {
      Map<String, Object> e = new LinkedHashMap<>();
      String rel = dir.relativize(f.location());
      e.put("path", rel != null ? rel : f.location().toString());
      e.put("location", f.location().toString());
      e.put("bytes", f.length());
      list.add(e);
    }
    return list;
  }

  private static void print(PrintWriter out, CheckpointListing listing) {
    if (!listing.checkpoints().isEmpty()) {
      Table t = new Table(List.of("CHECKPOINT", "STEP", "FILES", "SIZE", ""));
      for (CheckpointEntry c : listing.checkpoints()) {
        t.add(List.of(c.name(), c.step() == null ? "-" : c.step().toString(), Integer.toString(c.files().size()),
            Sizes.human(c.bytes()), (c.latest() ? "latest" : "") + (c.complete() ? "" : (c.latest() ? ", " : "") + "incomplete")));
      }
      t.print(out);
      if (listing.latest() == null) {
        out.println("(no checkpoint state file: no checkpoint is marked latest)");
      }
      if (!listing.otherFiles().isEmpty()) {
        out.println();
      }
    }
    if (!listing.otherFiles().isEmpty()) {
      Table t = new Table(List.of("SIZE", "PATH"));
      for (FileEntry f : listing.otherFiles()) {
        String rel = listing.directory().relativize(f.location());
        t.add(List.of(Sizes.human(f.length()), rel != null && !rel.isEmpty() ? rel : f.location().toString()));
      }
      t.print(out);
    }
  }
}
