package io.tfgw.converters.convert;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.graph.GraphSource;
import io.tfgw.converters.graph.SaverVariables;
import io.tfgw.converters.hdf5.Hdf5Reader;
import io.tfgw.converters.hdf5.Hdf5Writer;
import io.tfgw.converters.keras.KerasArchive;
import io.tfgw.converters.keras.KerasWeights;
import io.tfgw.converters.keras.KerasWeightsFile;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.safetensors.SafetensorsReader;
import io.tfgw.converters.safetensors.SafetensorsWriter;
import io.tfgw.core.TfgwException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.proto.NodeDef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code convert --to hdf5|safetensors}: the variables of any checkpoint-bearing source (V1, V2, {@code .meta},
 * SavedModel, HDF5, safetensors) into one file, with the same name plan (filters, renames) as checkpoint
 * conversions. Partitioned variables are assembled.
 */
public final class TensorFileConverter {
  private final Storage storage;

  /** What was written. */
  public record Result(Location source, String sourceFormat, Location destination, String format, String layout,
      int tensors, long bytes, List<String> notes) {}

  public TensorFileConverter(Storage storage) {
    this.storage = storage;
  }

  public Result toHdf5(Location source, Location destination, NamePlan names, Hdf5Writer.Layout layout) {
    Resolved resolved = new Resolver(storage).resolve(source);
    List<String> notes = new ArrayList<>(resolved.notes());
    try (CheckpointReader reader = Checkpoints.open(storage, resolved)) {
      List<NamePlan.Entry> plan = new ArrayList<>(names.apply(reader.tensors()));
      Hdf5Writer.check(plan.stream().map(e -> new TensorInfo(e.name(), e.source().dtype(), e.source().shape())).toList(),
          layout);
      if (layout == Hdf5Writer.Layout.KERAS) {
        plan.sort(layerOrder(resolved, reader, notes));
      }
      long bytes = 0;
      try (Hdf5Writer w = new Hdf5Writer(storage, destination, layout)) {
        for (NamePlan.Entry e : plan) {
          w.add(e.name(), reader.read(e.source().name()));
          bytes += e.source().shape().byteSize(e.source().dtype());
        }
        w.commit();
      }
      return new Result(resolved.target(), resolved.format(), destination, "hdf5",
          layout.name().toLowerCase(java.util.Locale.ROOT), plan.size(), bytes, notes);
    }
  }

  public Result toSafetensors(Location source, Location destination, NamePlan names) {
    Resolved resolved = new Resolver(storage).resolve(source);
    List<String> notes = new ArrayList<>(resolved.notes());
    try (CheckpointReader reader = Checkpoints.open(storage, resolved)) {
      List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
      for (NamePlan.Entry e : names.apply(reader.tensors())) {
        TensorData data = reader.read(e.source().name());
        tensors.add(new SafetensorsWriter.Tensor(e.name(), data));
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      if (reader instanceof SafetensorsReader st) {
        metadata.putAll(st.metadata());
      } else {
        metadata.put("format", "tf");
      }
      SafetensorsWriter.Result r = SafetensorsWriter.write(storage.outputFile(destination), tensors, metadata);
      return new Result(resolved.target(), resolved.format(), destination, "safetensors", null, r.tensors(), r.bytes(),
          notes);
    }
  }

  /**
   * The order of layers in a Keras weights file matters (Keras's {@code load_weights} matches layers by position):
   * the source's own layer order for a Keras file (legacy, or Keras 3 in its model's layer order), the order the graph creates its variables for a {@code .meta} or
   * SavedModel (Keras creates them layer by layer), otherwise names in natural order (dense_2 before dense_10).
   */
  private Comparator<NamePlan.Entry> layerOrder(Resolved resolved, CheckpointReader reader, List<String> notes) {
    Map<String, Integer> rank = new HashMap<>();
    KerasWeightsFile keras3 = reader instanceof KerasArchive a ? a.weights()
        : reader instanceof KerasWeightsFile w ? w : null;
    if (reader instanceof Hdf5Reader h5) {
      int i = 0;
      for (Hdf5Reader.LayerWeights l : h5.layers()) {
        for (Hdf5Reader.Weight w : l.weights()) {
          rank.put(w.tensor(), i++);
        }
      }
    } else if (keras3 != null) {
      int i = 0;
      for (List<KerasWeights.Weight> ws : keras3.layers().values()) {
        for (KerasWeights.Weight w : ws) {
          rank.put(w.tensor(), i++);
        }
      }
    } else if (resolved.format().equals("meta") || resolved.format().equals("savedmodel")) {
      try {
        GraphSource graph = GraphSource.load(storage, resolved, null);
        int i = 0;
        for (NodeDef n : graph.graph().getNodeList()) {
          if (SaverVariables.VARIABLE_OPS.contains(n.getOp())) {
            rank.putIfAbsent(SaverVariables.keyOf(n.getName(), SaverVariables.of(graph.graph())).tensor(), i++);
          }
        }
      } catch (TfgwException e) {
        notes.add("layer order by name: the graph could not be read (" + e.getMessage() + ")");
      }
    }
    Comparator<NamePlan.Entry> byRank = Comparator.comparingInt(e -> rank.getOrDefault(e.source().name(), Integer.MAX_VALUE));
    return byRank.thenComparing((a, b) -> naturalCompare(layerOf(a.name()), layerOf(b.name())))
        .thenComparingInt(e -> roleRank(e.name()))
        .thenComparing((a, b) -> naturalCompare(a.name(), b.name()));
  }

  private static String layerOf(String name) {
    int slash = name.indexOf('/');
    return slash < 0 ? name : name.substring(0, slash);
  }

  /** Keras's order of a layer's weights (load_weights assigns them by position). */
  private static int roleRank(String name) {
    String role = name.substring(name.lastIndexOf('/') + 1).replaceFirst(":\\d+$", "");
    return switch (role) {
      case "kernel", "depthwise_kernel", "gamma", "embeddings", "alpha" -> 0;
      case "pointwise_kernel", "recurrent_kernel", "beta" -> 1;
      case "bias", "moving_mean" -> 2;
      case "moving_variance" -> 3;
      default -> 5;
    };
  }

  /** Compares names with digit runs as numbers: dense_2 before dense_10. */
  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (Character.isDigit(ca) && Character.isDigit(cb)) {
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
        String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
        int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
        if (c != 0) {
          return c;
        }
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
