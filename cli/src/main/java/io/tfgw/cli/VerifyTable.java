package io.tfgw.cli;

import io.tfgw.converters.verify.Tolerance;
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
    boolean tolerant = !report.tolerance().isExact();
    List<String> header = new ArrayList<>(List.of("OUTPUT", "DTYPE", "SHAPE", "STATUS", "MAX ABS DIFF", "MAX ULP"));
    if (tolerant) {
      header.add(report.tolerance().kind() == Tolerance.Kind.ULP ? "ULP OF LARGEST" : "REL TO LARGEST");
    }
    header.add("DIFFERING");
    Table t = new Table(header);
    for (Verifier.Comparison c : report.outputs()) {
      String shape = c.shapeA().equals(c.shapeB()) ? c.shapeA().toString() : c.shapeA() + " vs " + c.shapeB();
      String dtype = c.dtype() == c.dtypeB() ? c.dtype().pythonName()
          : c.dtype().pythonName() + " vs " + c.dtypeB().pythonName();
      String status = c.status() == Verifier.Status.DIFFERENT ? "DIFFERENT" : c.status().label();
      List<String> row = new ArrayList<>(List.of(c.output(), dtype, shape, status,
          c.identical() ? "0" : String.format("%.6g", c.maxAbsDiff()), c.identical() ? "0" : ulp(c.maxUlp())));
      if (tolerant) {
        row.add(scaled(c.scaledDiff()));
      }
      row.add(String.valueOf(c.differing()));
      t.add(row);
    }
    t.print(out);
    List<String> random = report.nondeterministic();
    long within = report.outputs().stream().filter(c -> c.status() == Verifier.Status.WITHIN_TOLERANCE).count();
    if (!report.passed()) {
      out.println("DIFFERENT: " + report.outputs().stream().filter(c -> c.status() == Verifier.Status.DIFFERENT)
          .count() + " output(s) differ" + (tolerant ? " beyond the tolerance " + report.tolerance().label() : ""));
    } else if (within > 0) {
      out.println("within tolerance " + report.tolerance().label() + ": " + within + " output(s) of "
          + report.samples() + " sample(s) differ within " + describe(report.tolerance()) + ", the rest match bit "
          + "for bit");
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

  private static String describe(Tolerance t) {
    return t.kind() == Tolerance.Kind.ULP ? (long) t.amount() + " ulp of each output's largest magnitude"
        : t.amount() + " times each output's largest magnitude";
  }

  private static String scaled(double d) {
    return d == 0 ? "0" : Double.isInfinite(d) ? "inf" : String.format("%.3g", d);
  }

  private static String ulp(long u) {
    return u < 0 ? "n/a" : u == Long.MAX_VALUE ? "inf" : String.valueOf(u);
  }

  static Map<String, Object> json(Verifier.Report report) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("identical", report.identical());
    m.put("passed", report.passed());
    m.put("tolerance", report.tolerance().label());
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
      if (!report.tolerance().isExact()) {
        o.put("max_scaled_diff", JsonValues.number(c.scaledDiff()));
      }
      outs.add(o);
    }
    m.put("outputs", outs);
    m.put("notes", report.notes());
    return m;
  }
}
