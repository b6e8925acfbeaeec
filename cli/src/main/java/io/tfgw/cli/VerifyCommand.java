package io.tfgw.cli;

import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Models;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.verify.Tolerance;
import io.tfgw.converters.verify.Verifier;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageRouter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Run two models in tfgw's runtime on the same inputs and compare every output bit for bit.",
    footer = {"", "Exit code 3 when any output differs (beyond --tolerance). Outputs that depend on random ops "
        + "without a seed change on every run, in TensorFlow too: they are reported as nondeterministic and not "
        + "compared.", "", "Tolerances: 'exact' (default), 'ulp:N' (every float element within N ulps of the output's "
        + "largest magnitude in A), 'rel:X' (within X times that magnitude); 'ulp:64' when A or B is an ONNX file, "
        + "whose conversion changes float arithmetic by design. Integer, bool and string outputs compare exactly.",
        "", "Examples:",
        "  tfgw verify model.ckpt.meta frozen.pb --samples 4 --seed 1",
        "  tfgw verify model.onnx frozen.pb --tolerance ulp:16",
        "  tfgw verify export/1 export_converted/1 --inputs in.json"})
final class VerifyCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "A", description = "The reference model.")
  String a;

  @Parameters(index = "1", paramLabel = "B", description = "The model to compare with A.")
  String b;

  @Option(names = "--inputs", paramLabel = "FILE.json", description = "Inputs (as `run` takes them); default: generated.")
  String inputsFile;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "One input from a .npy file; repeatable.")
  List<String> npyInputs = new ArrayList<>();

  @Option(names = "--samples", defaultValue = "3", description = "Generated input batches (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated inputs (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--signature", paramLabel = "KEY", description = "Signature of A to compare (default serving_default).")
  String signature;

  @Option(names = "--outputs", split = ",", paramLabel = "NAME", description = "Outputs to compare (default: all of the signature's).")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--tolerance", paramLabel = "exact|ulp:N|rel:X",
      description = "How far float outputs may differ: exact (default; ulp:64 when A or B is ONNX), ulp:N, rel:X.")
  String tolerance;

  @Option(names = "--json", description = "Print the comparison as JSON.")
  boolean json;

  @Override
  public Integer call() {
    ModelInputs.checkNpyArguments(npyInputs, spec.commandLine());
    Tolerance given = Tolerances.parse(tolerance, spec.commandLine());
    try (StorageRouter storage = common.storage();
        Model ma = Models.load(storage, new Resolver(storage).resolve(Location.parse(a)), null);
        Model mb = Models.load(storage, new Resolver(storage).resolve(Location.parse(b)), null)) {
      // the side with a signature (or a frozen graph's outputs) names the inputs and outputs of both
      Verifier.Interface names = Verifier.interfaceOf(ma, mb, signature);
      List<Map<String, Tensor>> inputs = inputsFile != null || !npyInputs.isEmpty()
          ? List.of(ModelInputs.read(storage, inputsFile, npyInputs, names.model(), names.signature()))
          : Verifier.samples(names, samples, seed);
      Verifier.Report report = Verifier.verify(ma, mb, signature, inputs, outputs,
          given != null ? given : Verifier.defaultTolerance(ma, mb));
      if (!json) {
        report.notes().forEach(n -> spec.commandLine().getErr().println("note: " + n));
        spec.commandLine().getErr().flush();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(VerifyTable.json(report)));
      } else {
        VerifyTable.print(out, report);
      }
      out.flush();
      return report.passed() ? 0 : Main.EXIT_DIFFERENCE;
    }
  }
}
