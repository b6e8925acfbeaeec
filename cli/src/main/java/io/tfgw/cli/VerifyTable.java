package io.tfgw.cli;

import io.tfgw.converters.verify.Verifier;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How `verify` and `convert --verify` show a comparison: a table, or JSON. */
final class VerifyTable {
  private VerifyTable() {}

  static void print(PrintWriter out, Verifier.Report report) {
    Table t = new Table(List.of("OUTPUT", "DTYPE", "SHAPE", "IDENTICAL", "MAX ABS DIFF", "MAX ULP", "DIFFERING"));
    for (Verifier.Comparison c : report.outputs()) {
      String shape = c.shapeA().equals(c.shapeB()) ? c.shapeA().toString() : c.shapeA() + " vs " + c.shapeB();
      String dtype = c.dtype() == c.dtypeB() ? c.dtype().pythonName()
          : c.dtype().pythonName() + " vs " + c.dtypeB().pythonName();
      String identical = switch (c.status()) {
        case IDENTICAL -> "yes";
        case DIFFERENT -> "NO";
        case NONDETERMINISTIC -> "random";
      };
      t.add(List.of(c.output(), dtype, shape, identical,
          c.identical() ? "0" : String.format("%.6g", c.maxAbsDiff()), c.identical() ? "0" : ulp(c.maxUlp()),
          String.valueOf(c.differing())));
    }
    t.print(out);
    List<String> random = report.nondeterministic();
    if (!report.identical()) {
      out.println("DIFFERENT: " + report.outputs().stream().filter(c -> c.status() == Verifier.Status.DIFFERENT)
          .count() + " output(s) differ");
    } else if (random.isEmpty()) {
      out.println("identical: every output of " + report.samples() + " sample(s) matches bit for bit");
    } else {
      out.println("identical: every deterministic output of " + report.samples() + " sample(s) matches bit for bit");
    }
    if (!random.isEmpty()) {
      out.println("nondeterministic (not compared): " + String.join(", ", random) + " depend"
          + (random.size() == 1 ? "s" : "") + " on random ops without a seed, whose values change on every run in "
          + "TensorFlow too; set a seed (tf.random.set_seed or the op's seed) to compare them");
    }
  }

  private static String ulp(long u) {
    return u < 0 ? "n/a" : u == Long.MAX_VALUE ? "inf" : String.valueOf(u);
  }

  static Map<String, Object> json(Verifier.Report report) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("identical", report.identical());
    m.put("samples", report.samples());
    m.put("nondeterministic", report.nondeterministic());
    List<Map<String, Object>> outs = new ArrayList<>();
    for (Verifier.Comparison c : report.outputs()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("output", c.output());
      o.put("dtype", c.dtype().pythonName());
      if (c.dtypeB() != c.dtype()) {
        o.put("dtype_b", c.dtypeB().pythonName());
      }
      o.put("shape", c.shapeA().asList());
      o.put("status", c.status().label());
      o.put("identical", c.identical());
      o.put("max_abs_diff", JsonValues.number(c.maxAbsDiff()));
      o.put("max_ulp", c.maxUlp());
      o.put("differing", c.differing());
      outs.add(o);
    }
    m.put("outputs", outs);
    m.put("notes", report.notes());
    return m;
  }
}
