package io.tfgw.serve;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.inspect.ValueSummary;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorInfo;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which tensors changed between two checkpoints and by how much: elements that differ and the largest absolute
 * difference, both tensors streamed side by side (one element at a time, so any size fits).
 */
final class CheckpointDiff {
  private CheckpointDiff() {}

  /** One tensor's comparison; {@code note} is set when the values could not be compared. */
  record Row(String name, String status, long changed, long elements, double maxAbsDiff) {}

  static List<Row> compare(Storage storage, Location a, Location b) {
    List<Row> rows = new ArrayList<>();
    try (CheckpointReader ra = Checkpoints.open(storage, a); CheckpointReader rb = Checkpoints.open(storage, b)) {
      Map<String, TensorInfo> left = new TreeMap<>();
      ra.tensors().forEach(t -> left.put(t.name(), t));
      Map<String, TensorInfo> right = new TreeMap<>();
      rb.tensors().forEach(t -> right.put(t.name(), t));
      for (TensorInfo t : left.values()) {
        TensorInfo u = right.get(t.name());
        if (u == null) {
          rows.add(new Row(t.name(), "only in the other", 0, t.shape().numElements(), Double.NaN));
        } else if (t.dtype() != u.dtype() || !t.shape().equals(u.shape())) {
          rows.add(new Row(t.name(), "dtype/shape " + t.dtype() + t.shape() + " -> " + u.dtype() + u.shape(), 0,
              0, Double.NaN));
        } else {
          rows.add(values(t, ra, rb));
        }
      }
      for (TensorInfo u : right.values()) {
        if (!left.containsKey(u.name())) {
          rows.add(new Row(u.name(), "only in this one", 0, u.shape().numElements(), Double.NaN));
        }
      }
    }
    return rows;
  }

  private static Row values(TensorInfo t, CheckpointReader ra, CheckpointReader rb) {
    DType dtype = t.dtype();
    long n = t.shape().numElements();
    boolean numeric = dtype.isFixedSize() && !dtype.isComplex() && dtype != DType.STRING;
    int size = numeric ? dtype.elementSize() : 1;
    long changed = 0;
    double max = 0;
    try (InputStream x = new BufferedInputStream(ra.read(t.name()).open(), 1 << 16);
        InputStream y = new BufferedInputStream(rb.read(t.name()).open(), 1 << 16)) {
      byte[] ea = new byte[size];
      byte[] eb = new byte[size];
      ByteBuffer ba = ByteBuffer.wrap(ea).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer bb = ByteBuffer.wrap(eb).order(ByteOrder.LITTLE_ENDIAN);
      long units = numeric ? n : Long.MAX_VALUE;
      for (long i = 0; i < units; i++) {
        int ga = x.readNBytes(ea, 0, size);
        int gb = y.readNBytes(eb, 0, size);
        if (ga != gb) {
          return new Row(t.name(), "changed", Math.max(changed, 1), n, Double.NaN);
        }
        if (ga < size) {
          break;
        }
        if (!java.util.Arrays.equals(ea, eb)) {
          changed++;
          if (numeric) {
            ba.clear();
            bb.clear();
            double d = Math.abs(asDouble(ValueSummary.decode(dtype, ba)) - asDouble(ValueSummary.decode(dtype, bb)));
            max = Double.isNaN(d) ? max : Math.max(max, d);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!numeric) {
      return new Row(t.name(), changed == 0 ? "same" : "changed", changed == 0 ? 0 : 1, n, Double.NaN);
    }
    return new Row(t.name(), changed == 0 ? "same" : "changed", changed, n, max);
  }

  private static double asDouble(Object v) {
    return v instanceof Long l ? l : v instanceof Boolean b ? (b ? 1 : 0) : (Double) v;
  }

  static void render(StringBuilder b, Storage storage, Location other, Location self) {
    List<Row> rows = compare(storage, other, self);
    rows.sort(java.util.Comparator.comparing((Row r) -> r.status().equals("same")).thenComparing(Row::name));
    long changed = rows.stream().filter(r -> !r.status().equals("same")).count();
    b.append("<section id=\"diff\"><h2>Diff: ").append(Html.text(other.fileName())).append(" &rarr; ")
        .append(Html.text(self.fileName())).append("</h2><p>").append(changed).append(" of ").append(rows.size())
        .append(" tensors differ</p><table class=\"list\"><tr><th>tensor</th><th>status</th><th>elements changed</th>"
            + "<th>max |diff|</th></tr>");
    for (Row r : rows) {
      b.append("<tr><td>").append(Html.text(r.name())).append("</td><td>").append(Html.text(r.status()))
          .append("</td><td>").append(r.status().equals("changed") ? r.changed() + " / " + r.elements() : "")
          .append("</td><td>").append(r.status().equals("changed") ? Html.number(r.maxAbsDiff()) : "")
          .append("</td></tr>");
    }
    b.append("</table></section>");
  }
}
