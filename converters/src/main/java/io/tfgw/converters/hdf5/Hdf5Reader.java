package io.tfgw.converters.hdf5;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.dataset.DatasetBase;
import io.jhdf.exceptions.HdfException;
import io.jhdf.object.datatype.BitField;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.EnumDataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.StringData;
import io.jhdf.object.datatype.VariableLength;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An HDF5 file as a checkpoint. Keras files (full models saved with {@code model.save('x.h5')}, and weights-only
 * files from {@code save_weights}) are read the way Keras loads them: the {@code layer_names} attribute (merged from
 * {@code layer_names0..N} when Keras split it), each layer's {@code weight_names} in order, each weight a dataset path
 * below the layer group (names with {@code /} are nested groups), and {@code optimizer_weights}. Every other HDF5 file
 * is read "plain": each numeric or string dataset is a tensor named by its path.
 *
 * <p>Tensor names: a Keras weight is named by its weight name without the {@code :0} suffix ({@code dense/kernel});
 * when two layers hold the same weight name, the layer name is put in front. Optimizer weights are named
 * {@code optimizer_weights/<weight name>}.
 *
 * <p>This package is the only place that knows jhdf.
 */
public final class Hdf5Reader implements CheckpointReader {
  public static final String OPTIMIZER_PREFIX = "optimizer_weights/";

  /** One Keras weight: its tensor name here, its Keras weight name, the dataset path, dtype and shape. */
  public record Weight(String tensor, String weightName, String datasetPath, DType dtype, Shape shape) {}

  /** A layer of a Keras file and its weights, in the order Keras lists them. */
  public record LayerWeights(String layer, List<Weight> weights) {}

  private final Location location;
  private final HdfFile file;
  private final String layout;
  private final Map<String, String> rootAttributes = new LinkedHashMap<>();
  private final List<LayerWeights> layers = new ArrayList<>();
  private final List<Weight> optimizerWeights = new ArrayList<>();
  private final Map<String, Weight> byName = new TreeMap<>();
  private final List<TensorInfo> tensors = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  private Hdf5Reader(Location location, HdfFile file) {
    this.location = location;
    this.file = file;
    Group weightsRoot = kerasWeightsGroup(file);
    if (weightsRoot != null) {
      layout = "keras";
      for (String a : List.of("keras_version", "backend", "model_config", "training_config")) {
        String v = stringAttribute(file, a);
        if (v == null && weightsRoot != file) {
          v = stringAttribute(weightsRoot, a);
        }
        if (v != null) {
          rootAttributes.put(a, v);
        }
      }
      readKerasLayers(weightsRoot);
    } else if (isKeras3(file)) {
      layout = "keras3";
      readPlain(file, "");
    } else {
      layout = "plain";
      readPlain(file, "");
    }
    for (Weight w : byName.values()) {
      tensors.add(new TensorInfo(w.tensor(), w.dtype(), w.shape()));
    }
  }

  public static Hdf5Reader open(Storage storage, Location location) {
    if (location.isLocal()) {
      HdfFile file;
      try {
        file = new HdfFile(location.toLocalPath());
      } catch (RuntimeException | OutOfMemoryError e) {
        throw corrupt(location + " is not a readable HDF5 file", e);
      }
      return wrap(location, file);
    }
    return open(storage.inputFile(location).open(), location);
  }

  /**
   * An HDF5 file read from {@code input} (which the reader owns and closes): a file on any storage, or one inside
   * another file (the weights of a {@code .keras} zip, read in place). {@code location} names it in messages.
   */
  public static Hdf5Reader open(RandomAccessInput input, Location location) {
    HdfFile file;
    InputChannel channel = null;
    try {
      // jhdf reads through a channel: positional reads on any storage, no local copy. It wants a URI with a path.
      channel = new InputChannel(input);
      String path = "/" + location.fileName();
      file = new HdfFile(channel, URI.create("tfgw://" + location.scheme() + path.replaceAll("[^A-Za-z0-9._/-]", "_")));
    } catch (RuntimeException | OutOfMemoryError e) {
      if (channel != null) {
        channel.close();
      }
      throw corrupt(location + " is not a readable HDF5 file", e);
    }
    return wrap(location, file);
  }

  private static Hdf5Reader wrap(Location location, HdfFile file) {
    try {
      return new Hdf5Reader(location, file);
    } catch (RuntimeException | OutOfMemoryError e) {
      try {
        file.close();
      } catch (RuntimeException ignored) {
        // the error below is the one to report
      }
      throw corrupt("Cannot read " + location + " (HDF5)", e);
    }
  }

  /**
   * jhdf answers damaged files with whatever its parser trips on (HdfException, IllegalStateException, buffer
   * underflows, ...); the user gets one clear error naming the file instead. Our own errors pass unchanged.
   */
  private static RuntimeException corrupt(String what, Throwable e) {
    if (e instanceof io.tfgw.core.TfgwException t) {
      return t;
    }
    if (e instanceof OutOfMemoryError) {
      // jhdf allocates the size a header field claims before reading it: one failed allocation, the heap is intact
      return new CorruptInputException(what + ": a size field claims more memory than the heap holds (the file is "
          + "damaged, or a structure is larger than -Xmx allows)");
    }
    String detail = e instanceof HdfException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
    return new CorruptInputException(what + ": " + detail + " (the file is damaged or truncated, or not written by "
        + "HDF5/h5py/Keras)", e);
  }

  /** {@code model_weights} of a full model, the root of a weights-only file, or null when this is not Keras. */
  private static Group kerasWeightsGroup(HdfFile file) {
    Node mw = file.getChildren().get("model_weights");
    if (mw instanceof Group g && hasSplitAttribute(g, "layer_names")) {
      return g;
    }
    if (hasSplitAttribute(file, "layer_names")) {
      return file;
    }
    return null;
  }

  /**
   * Keras 3's layout ({@code save_weights} to {@code .weights.h5}, and a {@code .keras}'s {@code model.weights.h5}):
   * every dataset is {@code .../vars/<i>}, no {@code layer_names}. A file with only empty {@code vars} groups (a
   * model without weights) counts too.
   */
  private static boolean isKeras3(HdfFile file) {
    boolean[] varsGroup = {false};
    boolean[] other = {false};
    int[] budget = {100_000};
    walk(file, "", (path, node) -> {
      if (--budget[0] < 0) {
        other[0] = true;
      } else if (node instanceof Dataset) {
        if (!path.matches("(.*/)?vars/\\d+")) {
          other[0] = true;
        }
      } else if (path.equals("vars") || path.endsWith("/vars")) {
        varsGroup[0] = true;
      }
    });
    return varsGroup[0] && !other[0];
  }

  private interface Visitor {
    void visit(String normalizedPath, Node node);
  }

  /** Groups nest deeper than this only through a cycle of hard links (a group holding its own ancestor). */
  private static final int MAX_DEPTH = 64;

  /** Depth-first over groups and datasets, links skipped; group names with backslashes are split into segments. */
  private static void walk(Group group, String prefix, Visitor visitor) {
    walk(group, prefix, visitor, 0);
  }

  private static void walk(Group group, String prefix, Visitor visitor, int depth) {
    if (depth > MAX_DEPTH) {
      throw new CorruptInputException("HDF5 groups nest deeper than " + MAX_DEPTH + " levels at " + group.getPath()
          + " (a group that contains itself?); the file is damaged or crafted");
    }
    for (Map.Entry<String, Node> e : group.getChildren().entrySet()) {
      Node n = e.getValue();
      if (n.isLink()) {
        continue;
      }
      String path = prefix + e.getKey().replace('\\', '/');
      visitor.visit(path, n);
      if (n instanceof Group g) {
        walk(g, path + "/", visitor, depth + 1);
      }
    }
  }

  /** One dataset: its path with {@code /} separators (also where Keras on Windows wrote backslashes), dtype, shape. */
  public record DatasetEntry(String path, DType dtype, Shape shape) {}

  /**
   * Every dataset of a {@code keras3} or {@code plain} file, as tensors are named by {@link #tensors()} (their
   * normalised paths); unreadable ones are in {@link #skippedDatasets()}.
   */
  public List<DatasetEntry> datasets() {
    List<DatasetEntry> out = new ArrayList<>();
    for (Weight w : byName.values()) {
      out.add(new DatasetEntry(w.tensor(), w.dtype(), w.shape()));
    }
    return out;
  }

  /** The groups of the file by normalised path, with their {@code name} attribute (Keras 3 sets it) or "". */
  public Map<String, String> groups() {
    Map<String, String> out = new TreeMap<>();
    synchronized (this) {
      try {
        walk(file, "", (path, node) -> {
          if (node instanceof Group g) {
            String name = stringAttribute(g, "name");
            out.put(path, name == null ? "" : name);
          }
        });
      } catch (RuntimeException | OutOfMemoryError e) {
        throw corrupt("Cannot read the groups of " + location + " (HDF5)", e);
      }
    }
    return out;
  }

  private void readKerasLayers(Group root) {
    List<String> names = splitStrings(root, "layer_names");
    Map<String, Integer> seen = new HashMap<>();
    List<List<String[]>> raw = new ArrayList<>();
    for (String layer : names) {
      Node n = root.getChildren().get(layer);
      if (!(n instanceof Group g)) {
        throw new CorruptInputException(location + ": layer_names lists '" + layer + "', but there is no group "
            + root.getPath() + layer);
      }
      List<String[]> ws = new ArrayList<>();
      for (String w : splitStrings(g, "weight_names")) {
        ws.add(new String[] {layer, w, g.getPath() + w});
        seen.merge(stripIndex(w), 1, Integer::sum);
      }
      raw.add(ws);
    }
    Set<String> clashing = new HashSet<>();
    seen.forEach((k, v) -> {
      if (v > 1) {
        clashing.add(k);
      }
    });
    for (int i = 0; i < names.size(); i++) {
      List<Weight> ws = new ArrayList<>();
      for (String[] w : raw.get(i)) {
        String base = stripIndex(w[1]);
        String tensor = clashing.contains(base) ? w[0] + "/" + base : base;
        Weight weight = weightOf(tensor, w[1], w[2]);
        ws.add(weight);
        put(weight);
      }
      layers.add(new LayerWeights(names.get(i), List.copyOf(ws)));
    }
    Node opt = file.getChildren().get("optimizer_weights");
    if (opt instanceof Group g) {
      for (String w : splitStrings(g, "weight_names")) {
        Weight weight = weightOf(OPTIMIZER_PREFIX + stripIndex(w), w, g.getPath() + w);
        optimizerWeights.add(weight);
        put(weight);
      }
    }
  }

  private void put(Weight w) {
    if (byName.putIfAbsent(w.tensor(), w) != null) {
      throw new CorruptInputException(location + " lists the weight '" + w.weightName() + "' twice");
    }
  }

  private Weight weightOf(String tensor, String weightName, String path) {
    Node n;
    try {
      n = file.getByPath(path);
    } catch (HdfException e) {
      n = null;
    }
    if (!(n instanceof Dataset ds)) {
      throw new CorruptInputException(location + ": weight '" + weightName + "' is listed in weight_names, but there is "
          + "no dataset " + path);
    }
    DType dtype = dtypeOf(ds);
    if (dtype == null) {
      throw new UnsupportedInputException(location + ": weight " + path + " has an HDF5 type tfgw cannot convert ("
          + ds.getDataType().getClass().getSimpleName() + ")");
    }
    return new Weight(tensor, weightName, path, dtype, shapeOf(ds));
  }

  private void readPlain(Group group, String prefix) {
    walk(group, prefix, (name, n) -> {
      if (n instanceof Dataset ds) {
        DType dtype = ds.isCompound() ? null : dtypeOf(ds);
        if (dtype == null) {
          skipped.add(name);
          return;
        }
        put(new Weight(name, name, ds.getPath(), dtype, shapeOf(ds)));
      }
    });
  }

  static String stripIndex(String weightName) {
    return weightName.replaceFirst(":\\d+$", "");
  }

  private static Shape shapeOf(Dataset ds) {
    if (ds.isScalar()) {
      return Shape.scalar();
    }
    return Shape.of(ds.getDimensionsAsLong());
  }

  /** The dtype of a dataset, or null when it has no TensorFlow equivalent. */
  static DType dtypeOf(Dataset ds) {
    DataType t = ds.getDataType();
    if (t.getSize() == 2 && "bfloat16".equals(stringAttribute(ds, "dtype"))) {
      return DType.BFLOAT16; // Keras 3 stores bfloat16 as its 2-byte pattern and says so in an attribute
    }
    if (t instanceof FloatingPoint) {
      return switch (t.getSize()) {
        case 2 -> DType.HALF;
        case 4 -> DType.FLOAT;
        case 8 -> DType.DOUBLE;
        default -> null;
      };
    }
    if (t instanceof FixedPoint f) {
      boolean signed = f.isSigned();
      return switch (t.getSize()) {
        case 1 -> signed ? DType.INT8 : DType.UINT8;
        case 2 -> signed ? DType.INT16 : DType.UINT16;
        case 4 -> signed ? DType.INT32 : DType.UINT32;
        case 8 -> signed ? DType.INT64 : DType.UINT64;
        default -> null;
      };
    }
    if ((t instanceof BitField || t instanceof EnumDataType) && t.getSize() == 1) {
      return DType.BOOL; // jhdf writes booleans as bitfields, h5py as an enum {FALSE, TRUE} over int8
    }
    if (t instanceof StringData || (t instanceof VariableLength v && String.class.equals(v.getJavaType()))) {
      return DType.STRING;
    }
    return null;
  }

  /** Keras ("keras") or one tensor per dataset ("plain"). */
  public String layout() {
    return layout;
  }

  public String kerasVersion() {
    return rootAttributes.get("keras_version");
  }

  public String backend() {
    return rootAttributes.get("backend");
  }

  /** The {@code model_config} JSON of a full model; null for a weights-only file. */
  public String modelConfig() {
    return rootAttributes.get("model_config");
  }

  public boolean hasTrainingConfig() {
    return rootAttributes.containsKey("training_config");
  }

  /** The layers listed in {@code layer_names}, in order, with their weights (empty for a plain file). */
  public List<LayerWeights> layers() {
    return Collections.unmodifiableList(layers);
  }

  public List<Weight> optimizerWeights() {
    return Collections.unmodifiableList(optimizerWeights);
  }

  /** Datasets of a plain file that are not tensors (compound, references, ...). */
  public List<String> skippedDatasets() {
    return Collections.unmodifiableList(skipped);
  }

  public Weight weight(String tensor) {
    require(tensor);
    return byName.get(tensor);
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return "hdf5";
  }

  @Override
  public List<TensorInfo> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  @Override
  public TensorData read(String name) {
    Weight w = weight(name);
    return new TensorData() {
      @Override
      public DType dtype() {
        return w.dtype();
      }

      @Override
      public Shape shape() {
        return w.shape();
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(canonicalBytes(w));
      }
    };
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    throw new WrongInputException("Tensor '" + name + "' of " + location + " is not partitioned");
  }

  /** The canonical (little-endian, row-major) bytes of a weight. jhdf is not thread-safe on channels: one at a time. */
  private synchronized byte[] canonicalBytes(Weight w) {
    try {
      Dataset ds = (Dataset) file.getByPath(w.datasetPath());
      if (w.dtype() == DType.STRING) {
        return strings(ds, w);
      }
      long bytes = w.shape().byteSize(w.dtype());
      if (bytes > Integer.MAX_VALUE - 64) {
        throw new UnsupportedInputException("Dataset " + w.datasetPath() + " of " + location + " is " + bytes
            + " bytes; tensors over 2 GiB cannot be read from HDF5 yet");
      }
      if (bytes == 0) {
        return new byte[0];
      }
      if (!(ds instanceof DatasetBase base)) {
        throw new UnsupportedInputException("Dataset " + w.datasetPath() + " of " + location + " has an unsupported layout");
      }
      ByteBuffer buffer = base.getDataBuffer().duplicate();
      byte[] out = new byte[(int) bytes];
      if (buffer.remaining() < out.length) {
        throw new CorruptInputException("Dataset " + w.datasetPath() + " of " + location + " holds " + buffer.remaining()
            + " bytes, but its type and shape need " + out.length);
      }
      buffer.get(out);
      if (byteOrder(ds.getDataType()) == ByteOrder.BIG_ENDIAN && w.dtype().elementSize() > 1) {
        swap(out, w.dtype().elementSize());
      }
      return out;
    } catch (RuntimeException | OutOfMemoryError e) {
      throw corrupt("Cannot read dataset " + w.datasetPath() + " of " + location, e);
    }
  }

  private static ByteOrder byteOrder(DataType t) {
    if (t instanceof FloatingPoint f) {
      return f.getByteOrder();
    }
    if (t instanceof FixedPoint f) {
      return f.getByteOrder();
    }
    return ByteOrder.LITTLE_ENDIAN;
  }

  private static void swap(byte[] b, int unit) {
    for (int i = 0; i + unit <= b.length; i += unit) {
      for (int j = 0; j < unit / 2; j++) {
        byte t = b[i + j];
        b[i + j] = b[i + unit - 1 - j];
        b[i + unit - 1 - j] = t;
      }
    }
  }

  private static byte[] strings(Dataset ds, Weight w) {
    Object flat = ds.isScalar() ? new Object[] {ds.getData()} : ds.getDataFlat();
    List<byte[]> elements = new ArrayList<>();
    for (Object o : (Object[]) flat) {
      elements.add(o == null ? new byte[0] : o.toString().getBytes(StandardCharsets.UTF_8));
    }
    return InMemoryTensorData.ofStrings(w.shape(), elements).bytes();
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      file.close();
    }
  }

  // ---- attributes as Keras writes them ----

  static boolean hasSplitAttribute(Node node, String name) {
    Map<String, Attribute> attrs = node.getAttributes();
    return attrs.containsKey(name) || attrs.containsKey(name + "0");
  }

  /**
   * A list-of-strings attribute as Keras's {@code load_attributes_from_hdf5_group} reads it: {@code name}, or the
   * chunks {@code name0, name1, ...} concatenated; missing or empty attributes are an empty list.
   */
  static List<String> splitStrings(Node node, String name) {
    Map<String, Attribute> attrs = node.getAttributes();
    List<String> out = new ArrayList<>();
    if (attrs.containsKey(name)) {
      addStrings(out, attrs.get(name), node, name);
      return out;
    }
    for (int i = 0; attrs.containsKey(name + i); i++) {
      addStrings(out, attrs.get(name + i), node, name + i);
    }
    return out;
  }

  private static void addStrings(List<String> out, Attribute a, Node node, String name) {
    if (a.isEmpty() || a.getSize() == 0) {
      return;
    }
    Object data = a.getData();
    if (data == null) {
      return;
    }
    if (data instanceof String s) {
      out.add(s);
    } else if (data instanceof Object[] arr) {
      for (Object o : arr) {
        out.add(decode(o));
      }
    } else if (data.getClass().isArray() && java.lang.reflect.Array.getLength(data) == 0) {
      return; // an empty float64 attribute: h5py's way of storing []
    } else {
      throw new CorruptInputException("Attribute '" + name + "' of " + node.getPath() + " should hold strings, not "
          + data.getClass().getSimpleName());
    }
  }

  private static String decode(Object o) {
    if (o instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return String.valueOf(o);
  }

  /** A scalar string attribute (also as a 1-element array), or null. */
  static String stringAttribute(Node node, String name) {
    Attribute a = node.getAttributes().get(name);
    if (a == null || a.isEmpty()) {
      return null;
    }
    Object data = a.getData();
    if (data instanceof String s) {
      return s;
    }
    if (data instanceof Object[] arr && arr.length == 1) {
      return decode(arr[0]);
    }
    if (data instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return data == null ? null : String.valueOf(data);
  }
}
