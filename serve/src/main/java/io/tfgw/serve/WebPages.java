package io.tfgw.serve;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.inspect.InspectOptions;
import io.tfgw.converters.inspect.InspectReport;
import io.tfgw.converters.inspect.Inspector;
import io.tfgw.converters.manage.CheckpointCatalog;
import io.tfgw.converters.manage.CheckpointEntry;
import io.tfgw.converters.manage.CheckpointListing;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.core.TfgwException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pages a person browses: {@code /} and {@code /ui/{path}}. Server-rendered HTML (histograms are inline SVG)
 * plus one small script for the tensor filter and conversion progress, so a page works without a front-end build.
 * A tensor's statistics ({@code ?tensor=NAME}) stream just that tensor; nothing else is read for them.
 */
final class WebPages {
  private final RootGuard guard;
  private final Conversions conversions;
  private final String rootName;

  WebPages(RootGuard guard, Conversions conversions, String rootName) {
    this.guard = guard;
    this.conversions = conversions;
    this.rootName = rootName;
  }

  void page(Exchange ex, List<String> path) throws IOException {
    Location loc = guard.resolve(path);
    Resolved model = null;
    if (!path.isEmpty()) {
      try {
        model = new Resolver(guard.storage()).resolve(loc);
      } catch (TfgwException e) {
        model = null; // not a model: a directory to browse, or nothing
      }
    }
    StringBuilder b = new StringBuilder();
    head(b, path.isEmpty() ? "models" : path.get(path.size() - 1));
    breadcrumb(b, path);
    if (model != null) {
      modelPage(ex, b, path, loc, model);
    } else {
      List<FileEntry> files = guard.list(loc);
      if (files.isEmpty()) {
        throw HttpError.notFound("No model or directory at /" + String.join("/", path));
      }
      browse(b, path, loc, files);
    }
    b.append(SCRIPT).append("</main></body></html>\n");
    ex.setHeader("Cache-Control", "no-store");
    ex.html(200, b.toString());
  }

  private void head(StringBuilder b, String title) {
    b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Html.text(title))
        .append(" - tfgw</title><meta name=\"viewport\" content=\"width=device-width\"><style>").append(CSS)
        .append("</style></head><body><header><a href=\"/\" class=\"logo\">tfgw</a> <span class=\"muted\">")
        .append(Html.text(rootName)).append("</span></header><main>");
  }

  private static void breadcrumb(StringBuilder b, List<String> path) {
    b.append("<nav class=\"crumbs\"><a href=\"/\">ROOT</a>");
    for (int i = 0; i < path.size(); i++) {
      b.append(" / <a href=\"").append(Html.text(Html.path("/ui", path.subList(0, i + 1)))).append("\">")
          .append(Html.text(path.get(i))).append("</a>");
    }
    b.append("</nav>");
  }

  /** A directory: its subdirectories (with the models they hold marked) and its files. */
  private void browse(StringBuilder b, List<String> path, Location dir, List<FileEntry> files) {
    Map<String, long[]> children = new TreeMap<>(); // name -> {bytes, files, isDir}
    Map<String, String> kinds = new TreeMap<>();
    for (FileEntry f : files) {
      String rel = dir.relativize(f.location());
      int slash = rel.indexOf('/');
      String child = slash < 0 ? rel : rel.substring(0, slash);
      long[] c = children.computeIfAbsent(child, k -> new long[3]);
      c[0] += f.length();
      c[1]++;
      if (slash >= 0) {
        c[2] = 1;
      }
      String kind = kindOf(f.location().fileName());
      if (kind != null) {
        kinds.putIfAbsent(child, kind);
      }
    }
    b.append("<h1>").append(Html.text(path.isEmpty() ? "Models" : path.get(path.size() - 1))).append("</h1>");
    b.append("<table class=\"list\" id=\"entries\"><tr><th>name</th><th>holds</th><th>files</th><th>size</th></tr>");
    int shown = 0;
    for (Map.Entry<String, long[]> c : children.entrySet()) {
      if (shown++ >= 2000) {
        b.append("<tr><td colspan=\"4\">... ").append(children.size() - 2000).append(" more</td></tr>");
        break;
      }
      List<String> child = new ArrayList<>(path);
      child.add(c.getKey());
      b.append("<tr><td><a href=\"").append(Html.text(Html.path("/ui", child))).append("\">")
          .append(Html.text(c.getKey())).append(c.getValue()[2] == 1 ? "/" : "").append("</a></td><td>")
          .append(Html.text(kinds.getOrDefault(c.getKey(), ""))).append("</td><td>").append(c.getValue()[1])
          .append("</td><td>").append(Html.bytes(c.getValue()[0])).append("</td></tr>");
    }
    b.append("</table>");
  }

  private static String kindOf(String fileName) {
    if (fileName.equals("saved_model.pb")) {
      return "SavedModel";
    }
    if (fileName.endsWith(".index")) {
      return "checkpoint";
    }
    if (fileName.endsWith(".h5") || fileName.endsWith(".keras")) {
      return "Keras";
    }
    if (fileName.endsWith(".onnx")) {
      return "ONNX";
    }
    if (fileName.endsWith(".safetensors")) {
      return "safetensors";
    }
    if (fileName.endsWith(".pb")) {
      return "GraphDef";
    }
    if (fileName.endsWith(".meta")) {
      return "checkpoint";
    }
    return null;
  }

  private void modelPage(Exchange ex, StringBuilder b, List<String> path, Location loc, Resolved model) {
    InspectReport report = new Inspector(guard.storage()).inspect(loc, InspectOptions.defaults());
    long parameters = 0;
    long tensorBytes = 0;
    for (InspectReport.Variable v : report.variables()) {
      parameters += Math.max(0, v.info().shape().numElements());
      tensorBytes += v.storedBytes();
    }
    b.append("<h1>").append(Html.text(path.get(path.size() - 1))).append("</h1>");
    b.append("<div class=\"strip\">");
    strip(b, "format", report.format());
    versions(report.details()).forEach((k, v) -> strip(b, k, v));
    strip(b, "parameters", String.format(java.util.Locale.ROOT, "%,d", parameters));
    strip(b, "tensors", String.valueOf(report.variables().size()));
    strip(b, "size", Html.bytes(tensorBytes));
    strip(b, "integrity", integrity(ex, loc, report));
    b.append("</div>");
    report.warnings().forEach(w -> b.append("<p class=\"warn\">").append(Html.text(shown(w))).append("</p>"));
    downloads(b, path, model);
    signatures(b, report.details());
    String tensor = ex.query("tensor");
    if (tensor != null) {
      tensorPanel(b, model, tensor);
    }
    Location dir = model.format().equals("savedmodel") || guard.storage().isDirectory(loc) ? loc : loc.parent();
    if (model.format().equals("v2") || model.format().equals("v1")) {
      timeline(ex, b, path, dir, model);
    }
    tensorTree(b, report, ex.query("filter"));
  }

  private static void strip(StringBuilder b, String label, String value) {
    b.append("<div><span class=\"label\">").append(Html.text(label)).append("</span><span class=\"value\">")
        .append(value.startsWith("<") ? value : Html.text(value)).append("</span></div>");
  }

  /** The TensorFlow and Keras versions the files record. */
  private static Map<String, String> versions(Map<String, Object> details) {
    Map<String, String> out = new TreeMap<>();
    if (details.get("keras_version") != null) {
      out.put("Keras", String.valueOf(details.get("keras_version")));
    }
    if (details.get("meta_graphs") instanceof List<?> graphs) {
      for (Object g : graphs) {
        if (g instanceof Map<?, ?> m && m.get("tensorflow_version") != null) {
          out.put("TensorFlow", String.valueOf(m.get("tensorflow_version")));
        }
      }
    }
    return out;
  }

  /** Without ?verify: what reading will check; with it: every tensor read, every checksum checked. */
  private String integrity(Exchange ex, Location loc, InspectReport report) {
    if (ex.query("verify") == null) {
      return "<a href=\"?verify=1\">check every checksum</a>";
    }
    try {
      InspectReport hashed = new Inspector(guard.storage()).inspect(loc, InspectOptions.defaults().withHash(true));
      return "<span class=\"ok\">" + hashed.variables().size() + " tensors read, checksums match</span>";
    } catch (TfgwException e) {
      return "<span class=\"bad\">" + Html.text(shown(e.getMessage())) + "</span>";
    }
  }

  private void downloads(StringBuilder b, List<String> path, Resolved model) {
    b.append("<section><h2>Download as</h2><div class=\"buttons\">");
    for (String to : Conversions.OUTPUT_NAMES.keySet()) {
      b.append("<a class=\"button\" href=\"").append(Html.text(Html.path("/api/convert", path))).append("?to=")
          .append(to).append("\">").append(to).append("</a>");
    }
    b.append("</div><p class=\"muted\">Converted on request (as <code>tfgw convert</code> does), cached by content."
        + " Running now: <span id=\"conversions\">-</span>. ");
    Map<String, Object> cache = conversions.cache().stats();
    b.append("Cache: ").append(cache.get("entries")).append(" results, ")
        .append(Html.bytes((Long) cache.get("bytes"))).append(" of ").append(Html.bytes((Long) cache.get("max_bytes")))
        .append(", ").append(cache.get("evictions")).append(" evicted (<a href=\"/api/cache\">details</a>)")
        .append("</p></section>");
  }

  /** Each meta graph's signatures: inputs and outputs with dtypes and shapes. */
  private static void signatures(StringBuilder b, Map<String, Object> details) {
    if (!(details.get("meta_graphs") instanceof List<?> graphs)) {
      return;
    }
    StringBuilder s = new StringBuilder();
    for (Object g : graphs) {
      if (!(g instanceof Map<?, ?> m) || !(m.get("signatures") instanceof Map<?, ?> sigs)) {
        continue;
      }
      for (Map.Entry<?, ?> sig : sigs.entrySet()) {
        s.append("<tr><td><b>").append(Html.text(sig.getKey())).append("</b><br><span class=\"muted\">tags ")
            .append(Html.text(m.get("tags"))).append("</span></td><td>");
        io(s, ((Map<?, ?>) sig.getValue()).get("inputs"));
        s.append("</td><td>");
        io(s, ((Map<?, ?>) sig.getValue()).get("outputs"));
        s.append("</td></tr>");
      }
    }
    if (s.length() > 0) {
      b.append("<section><h2>Signatures</h2><table class=\"list\"><tr><th>signature</th><th>inputs</th>"
          + "<th>outputs</th></tr>").append(s).append("</table></section>");
    }
  }

  private static void io(StringBuilder s, Object tensors) {
    if (tensors instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> t : map.entrySet()) {
        Map<?, ?> info = (Map<?, ?>) t.getValue();
        s.append(Html.text(t.getKey())).append(": <code>").append(Html.text(info.get("dtype"))).append(" ")
            .append(Html.text(info.get("shape"))).append("</code><br>");
      }
    }
  }

  /** A tensor's statistics and histogram, read by streaming that tensor alone. */
  private void tensorPanel(StringBuilder b, Resolved model, String name) {
    b.append("<section id=\"stats\"><h2>").append(Html.text(name)).append("</h2>");
    try (CheckpointReader reader = Checkpoints.open(guard.storage(), model)) {
      TensorInfo info = reader.require(name);
      TensorStats s = TensorStats.of(name, reader.read(name));
      b.append("<p><code>").append(Html.text(info.dtype())).append(" ").append(Html.text(info.shape()))
          .append("</code></p><div class=\"strip\">");
      strip(b, "min", Html.number(s.min()));
      strip(b, "max", Html.number(s.max()));
      strip(b, "mean", Html.number(s.mean()));
      strip(b, "std", Html.number(s.std()));
      strip(b, "NaN", String.valueOf(s.nan()));
      strip(b, "Inf", String.valueOf(s.inf()));
      strip(b, "zeros", String.valueOf(s.zeros()));
      strip(b, "elements", String.format(java.util.Locale.ROOT, "%,d", s.count()));
      b.append("</div>").append(histogram(s));
    } catch (TfgwException e) {
      b.append("<p class=\"warn\">").append(Html.text(shown(e.getMessage()))).append("</p>");
    }
    b.append("</section>");
  }

  static String histogram(TensorStats s) {
    if (s.bins().length == 0) {
      return "<p class=\"muted\">no finite values</p>";
    }
    int w = 720;
    int h = 220;
    int pad = 30;
    long top = 1;
    for (long c : s.bins()) {
      top = Math.max(top, c);
    }
    StringBuilder svg = new StringBuilder();
    svg.append("<svg class=\"histogram\" width=\"").append(w).append("\" height=\"").append(h + pad)
        .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h + pad).append("\" role=\"img\" aria-label=\"histogram\">");
    double bw = (double) (w - 2 * pad) / s.bins().length;
    for (int i = 0; i < s.bins().length; i++) {
      double bh = (double) s.bins()[i] / top * (h - 10);
      svg.append(String.format(java.util.Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>[%s, %s): %d</title></rect>",
          pad + i * bw, h - bh, Math.max(1, bw - 1), bh, Html.number(s.edges()[i]), Html.number(s.edges()[i + 1]),
          s.bins()[i]));
    }
    svg.append(String.format(java.util.Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", pad, h, w - pad, h));
    svg.append("<text x=\"").append(pad).append("\" y=\"").append(h + 18).append("\">")
        .append(Html.number(s.min())).append("</text><text x=\"").append(w - pad).append("\" y=\"").append(h + 18)
        .append("\" text-anchor=\"end\">").append(Html.number(s.max())).append("</text><text x=\"").append(pad)
        .append("\" y=\"12\">").append(top).append("</text></svg>");
    return svg.toString();
  }

  /** The checkpoints beside this one: steps, sizes, which is latest; each can be diffed against this one. */
  private void timeline(Exchange ex, StringBuilder b, List<String> path, Location dir, Resolved model) {
    CheckpointListing listing;
    try {
      listing = new CheckpointCatalog(guard.storage()).list(dir);
    } catch (TfgwException e) {
      return;
    }
    if (listing.checkpoints().size() < 2) {
      return;
    }
    b.append("<section><h2>Checkpoints in this directory</h2><table class=\"list\"><tr><th>step</th><th>name</th>"
        + "<th>size</th><th></th><th></th></tr>");
    for (CheckpointEntry c : listing.checkpoints()) {
      boolean self = c.prefix().equals(model.target());
      b.append("<tr").append(self ? " class=\"self\"" : "").append("><td>").append(c.step() == null ? "-" : c.step())
          .append("</td><td>").append(Html.text(c.name())).append("</td><td>").append(Html.bytes(c.bytes()))
          .append("</td><td>").append(c.latest() ? "latest" : "").append(c.complete() ? "" : " incomplete")
          .append("</td><td>").append(self ? "this one" : "<a href=\"?diff=" + Html.text(Html.query(c.name()))
              + "#diff\">diff with this one</a>").append("</td></tr>");
    }
    b.append("</table></section>");
    String other = ex.query("diff");
    if (other != null) {
      CheckpointEntry against = listing.checkpoints().stream().filter(c -> c.name().equals(other)).findFirst()
          .orElseThrow(() -> HttpError.notFound("No checkpoint " + other + " in this directory"));
      CheckpointDiff.render(b, guard.storage(), against.prefix(), model.target());
    }
  }

  /** Tensors as a tree of name scopes, each linking to its statistics, with a filter box. */
  private static void tensorTree(StringBuilder b, InspectReport report, String filter) {
    b.append("<section><h2>Tensors</h2><input id=\"filter\" placeholder=\"filter tensors\" autocomplete=\"off\"")
        .append(filter == null ? "" : " value=\"" + Html.text(filter) + "\"").append("><ul class=\"tree\" id=\"tree\">");
    List<String> open = new ArrayList<>();
    for (InspectReport.Variable v : report.variables()) {
      String[] parts = v.info().name().split("/");
      int common = 0;
      while (common < open.size() && common < parts.length - 1 && open.get(common).equals(parts[common])) {
        common++;
      }
      while (open.size() > common) {
        b.append("</ul></li>");
        open.remove(open.size() - 1);
      }
      for (int i = common; i < parts.length - 1; i++) {
        b.append("<li class=\"scope\"><span>").append(Html.text(parts[i])).append("/</span><ul>");
        open.add(parts[i]);
      }
      b.append("<li class=\"tensor\" data-name=\"").append(Html.text(v.info().name())).append("\"><a href=\"?tensor=")
          .append(Html.text(Html.query(v.info().name()))).append("#stats\">").append(Html.text(parts[parts.length - 1]))
          .append("</a> <code>").append(Html.text(v.info().dtype())).append(" ").append(Html.text(v.info().shape()))
          .append("</code> <span class=\"muted\">").append(Html.bytes(v.storedBytes())).append("</span></li>");
    }
    while (!open.isEmpty()) {
      b.append("</ul></li>");
      open.remove(open.size() - 1);
    }
    b.append("</ul></section>");
  }

  /** Messages name locations; ROOT's own location (a local path, a bucket) is shown as ROOT. */
  private String shown(String message) {
    return message.replace(guard.root().toString(), "ROOT");
  }

  static String resource(String name) {
    try (InputStream in = WebPages.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("missing resource " + name, e);
    }
  }

  private static final String CSS = resource("page.css");
  private static final String SCRIPT = "<script>" + resource("page.js") + "</script>";
}
