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
      t.add(List.of(c.output(), c.dtype().pythonName(), shape, c.identical() ? "yes" : "NO",
          c.identical() ? "0" : String.format("%.6g", c.maxAbsDiff()), c.identical() ? "0" : ulp(c.maxUlp()),
          String.valueOf(c.differing())));
    }
    t.print(out);
    out.println(report.identical()
        ? "identical: every output of " + report.samples() + " sample(s) matches bit for bit"
        : "DIFFERENT: " + report.outputs().stream().filter(c -> !c.identical()).count() + " output(s) differ");
  }

  private static String ulp(long u) {
    return u < 0 ? "n/a" : u == Long.MAX_VALUE ? "inf" : String.valueOf(u);
  }

  static Map<String, Object> json(Verifier.Report report) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("identical", report.identical());
    m.put("samples", report.samples());
    List<Map<String, Object>> outs = new ArrayList<>();
    for (Verifier.Comparison c : report.outputs()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("output", c.output());
      o.put("dtype", c.dtype().pythonName());
      o.put("shape", c.shapeA().asList());
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
