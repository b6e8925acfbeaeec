package io.tfgw.cli;

import io.tfgw.converters.manage.CheckpointEntry;
import io.tfgw.converters.manage.PrunePlan;
import io.tfgw.converters.manage.Pruner;
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

@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Delete old checkpoints of a directory as TF's Saver does (max_to_keep, keep_checkpoint_every_n_hours).",
    footer = {"", "Whole checkpoints only; the checkpoint state file is rewritten before anything is deleted.", "",
        "Examples:",
        "  tfgw prune train_dir --keep 5",
        "  tfgw prune s3://bucket/run1 --keep 3 --keep-every-hours 2 --dry-run"})
final class PruneCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(paramLabel = "LOCATION", description = "Directory holding checkpoints (any location)")
  String location;

  @Option(names = "--keep", paramLabel = "N", required = true, description = "Keep the N most recent checkpoints.")
  int keep;

  @Option(names = "--keep-every-hours", paramLabel = "H",
      description = "Also keep one checkpoint every H hours among the older ones.")
  Double keepEveryHours;

  @Option(names = {"-n", "--dry-run"}, description = "Show what would be deleted, delete nothing.")
  boolean dryRun;

  @Option(names = "--json", description = "Print one JSON object: location, dry_run, deleted, kept, preserved, unlisted.")
  boolean json;

  @Override
  public Integer call() {
    PrunePlan plan;
    try (StorageRouter storage = common.storage()) {
      Pruner pruner = new Pruner(storage);
      plan = pruner.plan(Location.parse(location), keep, keepEveryHours);
      if (!dryRun) {
        pruner.apply(plan);
        storage.commit();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(toJson(plan)));
    } else if (!common.quiet) {
      String verb = dryRun ? "would delete" : "deleted";
      for (CheckpointEntry c : plan.deleted()) {
        out.println(verb + " " + c.name() + " (" + c.files().size() + " files, " + Sizes.human(c.bytes()) + ")");
      }
      out.println((dryRun ? "would keep " : "kept ") + names(plan.kept()) + (plan.preserved().isEmpty() ? ""
          : "; preserved every " + keepEveryHours + " h: " + names(plan.preserved())));
      if (!plan.unlisted().isEmpty()) {
        out.println("left alone (not listed in the checkpoint state file): " + names(plan.unlisted()));
      }
      if (plan.deleted().isEmpty()) {
        out.println("nothing to delete");
      }
    }
    out.flush();
    return 0;
  }

  private Map<String, Object> toJson(PrunePlan plan) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("location", plan.directory().toString());
    m.put("dry_run", dryRun);
    List<Map<String, Object>> deleted = new ArrayList<>();
    for (CheckpointEntry c : plan.deleted()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", c.name());
      e.put("prefix", c.prefix().toString());
      e.put("step", c.step());
      e.put("files", c.files().size());
      e.put("bytes", c.bytes());
      deleted.add(e);
    }
    m.put("deleted", deleted);
    m.put("kept", plan.kept().stream().map(CheckpointEntry::name).toList());
    m.put("preserved", plan.preserved().stream().map(CheckpointEntry::name).toList());
    m.put("unlisted", plan.unlisted().stream().map(CheckpointEntry::name).toList());
    return m;
  }

  private static String names(List<CheckpointEntry> list) {
    return list.isEmpty() ? "none" : String.join(", ", list.stream().map(CheckpointEntry::name).toList());
  }
}
