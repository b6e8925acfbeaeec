package io.tfgw.converters.hdf5;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.DatasetCreationOptions;
import io.jhdf.api.WritableGroup;
import io.jhdf.api.WritableNode;
import io.jhdf.exceptions.HdfException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointWriter;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors to an HDF5 file with jhdf, in one of two layouts:
 *
 * <ul>
 *   <li>{@link Layout#KERAS}: a Keras weights file ({@code save_weights} layout) that Keras's {@code load_weights}
 *       reads: the first path segment of a tensor name is its layer ({@code dense/kernel} is weight
 *       {@code dense/kernel:0} of layer {@code dense}, stored as dataset {@code /dense/dense/kernel:0}); root attributes
 *       {@code layer_names}, {@code backend} and {@code keras_version}; each layer group's {@code weight_names}.
 *       Tensors named {@code optimizer_weights/...} go to the {@code optimizer_weights} group. Layers appear in the order
 *       their first tensor was added.
 *   <li>{@link Layout#PLAIN}: one dataset per tensor at its name's path (groups by {@code /}).
 * </ul>
 *
 * <p>jhdf's limits, respected here: list attributes over 64512 bytes are split into {@code name0, name1, ...} as
 * Keras does (jhdf would silently corrupt the file); empty attributes and datasets cannot be written (a layer without
 * weights has no {@code weight_names} attribute, which Keras reads as none; an empty tensor is refused); float16 and
 * bfloat16 cannot be written. jhdf writes only to a local file and holds the data in memory until it closes, so the
 * file is built in a temp file and then copied to the destination, which appears complete or not at all.
 */
public final class Hdf5Writer implements CheckpointWriter {
  /** Keras's {@code HDF5_OBJECT_HEADER_LIMIT}: the largest attribute it writes unsplit. */
  public static final int ATTRIBUTE_LIMIT = 64512;
  /** What a weights file claims to be: any version but "1" makes Keras load it without Keras 1 conversions. */
  static final String KERAS_VERSION = "2.4.0";

  public enum Layout { KERAS, PLAIN }

  private record Item(String name, DType dtype, Shape shape, Object data) {}

  private final Storage storage;
  private final Location destination;
  private final Layout layout;
  private final List<Item> items = new ArrayList<>();
  private final Map<String, Boolean> names = new HashMap<>();
  private final Map<String, Map<String, String>> groupAttributes = new LinkedHashMap<>();
  private boolean done;

  public Hdf5Writer(Storage storage, Location destination, Layout layout) {
    this.storage = storage;
    this.destination = destination;
    this.layout = layout;
  }

  /** Checks before anything is written that HDF5 (as jhdf writes it) can hold every tensor. */
  public static void check(List<TensorInfo> tensors, Layout layout) {
    List<String> bad = new ArrayList<>();
    for (TensorInfo t : tensors) {
      String why = unwritable(t.dtype(), t.shape());
      if (why != null) {
        bad.add(t.name() + " (" + why + ")");
      }
    }
    if (!bad.isEmpty()) {
      throw new UnsupportedInputException("HDF5 output cannot hold " + bad.size() + " of the tensors: "
          + String.join(", ", bad.subList(0, Math.min(5, bad.size()))) + (bad.size() > 5 ? ", ..." : "")
          + ". jhdf, the HDF5 library tfgw uses, writes no float16/bfloat16 and no empty datasets. Leave them out "
          + "with --exclude, or convert to safetensors or v2 instead.");
    }
    if (layout == Layout.PLAIN) {
      Map<String, Boolean> isGroup = new HashMap<>();
      for (TensorInfo t : tensors) {
        String[] parts = t.name().split("/");
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
          p.append(i > 0 ? "/" : "").append(parts[i]);
          if (Boolean.FALSE.equals(isGroup.put(p.toString(), true))) {
            throw conflict(p.toString());
          }
        }
        if (Boolean.TRUE.equals(isGroup.put(t.name(), false))) {
          throw conflict(t.name());
        }
      }
    }
  }

  private static WrongInputException conflict(String name) {
    return new WrongInputException("'" + name + "' is both a tensor and the group of other tensors ('" + name
        + "/...'); HDF5 cannot hold both. Use --layout keras, or rename one with --rename");
  }

  private static String unwritable(DType dtype, Shape shape) {
    switch (dtype) {
      case FLOAT, DOUBLE, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL, STRING:
        break;
      default:
        return dtype.pythonName();
    }
    if (shape.numElements() == 0) {
      return "empty";
    }
    if (shape.rank() > 32) {
      return "rank " + shape.rank();
    }
    return null;
  }

  @Override
  public void add(String name, TensorData data) {
    String why = unwritable(data.dtype(), data.shape());
    if (why != null) {
      throw new UnsupportedInputException("Tensor '" + name + "' cannot be written to HDF5: " + why);
    }
    if (names.put(name, true) != null) {
      throw new WrongInputException("Two tensors are named '" + name + "'");
    }
    byte[] bytes;
    try (InputStream in = data.open()) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    items.add(new Item(name, data.dtype(), data.shape(), javaArray(data.dtype(), data.shape(), bytes)));
  }

  /**
   * {@link Layout#PLAIN}: a string attribute on the group at {@code groupPath}, when datasets are written below it
   * (Keras 3.9+ names each {@code vars} group's layer this way). Attributes of groups without datasets are dropped:
   * jhdf writes a damaged file (h5py: "bad object header version number") when empty groups carry attributes.
   */
  public void addGroupAttribute(String groupPath, String name, String value) {
    if (layout != Layout.PLAIN) {
      throw new IllegalStateException("group attributes are for the plain layout");
    }
    groupAttributes.computeIfAbsent(groupPath, k -> new LinkedHashMap<>()).put(name, value);
  }

  @Override
  public void addSlice(String name, Shape fullShape, TensorSlice slice, TensorData data) {
    throw new UnsupportedInputException("HDF5 stores whole tensors; '" + name + "' is partitioned (the converter "
        + "assembles partitioned variables before writing HDF5)");
  }

  @Override
  public void commit() {
    if (done) {
      throw new IllegalStateException("already committed or closed");
    }
    done = true;
    Path tmp;
    try {
      tmp = Files.createTempFile("tfgw-", ".h5");
    } catch (IOException e) {
      throw new StorageException("Cannot create a temp file for the HDF5 output: " + e.getMessage(), e);
    }
    try {
      build(tmp);
      try (InputStream in = Files.newInputStream(tmp); AtomicOutputStream os = storage.outputFile(destination).create()) {
        in.transferTo(os);
        os.commit();
      }
    } catch (IOException e) {
      throw new StorageException("Cannot write " + destination + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }

  /**
   * Builds the file in a local path only (for files that go inside another, as {@code model.weights.h5} in a
   * {@code .keras}); nothing is written to the destination.
   */
  public void writeLocal(Path file) {
    if (done) {
      throw new IllegalStateException("already committed or closed");
    }
    done = true;
    build(file);
  }

  private void build(Path file) {
    try (WritableHdfFile out = HdfFile.write(file)) {
      if (layout == Layout.KERAS) {
        writeKeras(out);
      } else {
        writePlain(out);
      }
    } catch (HdfException e) {
      throw new StorageException("jhdf failed to write " + destination + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    done = true;
    items.clear();
  }

  private void writePlain(WritableHdfFile out) {
    Map<String, WritableGroup> groups = new HashMap<>();
    for (Item it : items) {
      int slash = it.name().lastIndexOf('/');
      WritableGroup parent = slash < 0 ? out : group(out, groups, it.name().substring(0, slash));
      putDataset(parent, slash < 0 ? it.name() : it.name().substring(slash + 1), it);
    }
    for (Map.Entry<String, Map<String, String>> g : groupAttributes.entrySet()) {
      WritableGroup group = groups.get(g.getKey());
      if (group != null) {
        g.getValue().forEach(group::putAttribute);
      }
    }
  }

  private void writeKeras(WritableHdfFile out) {
    Map<String, List<Item>> layers = new LinkedHashMap<>();
    List<Item> optimizer = new ArrayList<>();
    for (Item it : items) {
      if (it.name().startsWith(Hdf5Reader.OPTIMIZER_PREFIX)) {
        optimizer.add(it);
        continue;
      }
      int slash = it.name().indexOf('/');
      String layer = slash < 0 ? it.name() : it.name().substring(0, slash);
      layers.computeIfAbsent(layer, k -> new ArrayList<>()).add(it);
    }
    putStrings(out, "layer_names", new ArrayList<>(layers.keySet()));
    out.putAttribute("backend", "tensorflow");
    out.putAttribute("keras_version", KERAS_VERSION);
    for (Map.Entry<String, List<Item>> e : layers.entrySet()) {
      WritableGroup g = out.putGroup(e.getKey());
      writeWeights(g, e.getValue(), "");
    }
    if (!optimizer.isEmpty()) {
      WritableGroup g = out.putGroup("optimizer_weights");
      writeWeights(g, optimizer, Hdf5Reader.OPTIMIZER_PREFIX);
    }
  }

  private void writeWeights(WritableGroup layerGroup, List<Item> weights, String strip) {
    Map<String, WritableGroup> groups = new HashMap<>();
    List<String> weightNames = new ArrayList<>();
    for (Item it : weights) {
      String w = it.name().substring(strip.length());
      if (!w.matches(".*:\\d+$")) {
        w = w + ":0";
      }
      weightNames.add(w);
      int slash = w.lastIndexOf('/');
      WritableGroup parent = slash < 0 ? layerGroup : group(layerGroup, groups, w.substring(0, slash));
      putDataset(parent, slash < 0 ? w : w.substring(slash + 1), it);
    }
    putStrings(layerGroup, "weight_names", weightNames);
  }

  private static WritableGroup group(WritableGroup root, Map<String, WritableGroup> groups, String path) {
    WritableGroup g = groups.get(path);
    if (g != null) {
      return g;
    }
    int slash = path.lastIndexOf('/');
    WritableGroup parent = slash < 0 ? root : group(root, groups, path.substring(0, slash));
    g = parent.putGroup(slash < 0 ? path : path.substring(slash + 1));
    groups.put(path, g);
    return g;
  }

  private static void putDataset(WritableGroup parent, String name, Item it) {
    boolean unsigned = it.dtype() == DType.UINT8 || it.dtype() == DType.UINT16 || it.dtype() == DType.UINT32
        || it.dtype() == DType.UINT64;
    if (unsigned) {
      parent.putDataset(name, it.data(), DatasetCreationOptions.builder().unsigned().build());
    } else {
      parent.putDataset(name, it.data());
    }
  }

  /**
   * A list-of-strings attribute as Keras's {@code save_attributes_to_hdf5_group} writes it: whole when it fits in
   * {@link #ATTRIBUTE_LIMIT} bytes, otherwise in {@code numpy.array_split} chunks {@code name0, name1, ...}, the
   * fewest that each fit. An empty list is left out (jhdf cannot write empty attributes; Keras reads a missing
   * attribute as an empty list).
   */
  static void putStrings(WritableNode node, String name, List<String> values) {
    if (values.isEmpty()) {
      return;
    }
    for (String v : values) {
      if (v.getBytes(StandardCharsets.UTF_8).length + 1 > ATTRIBUTE_LIMIT) {
        throw new UnsupportedInputException("The name '" + v.substring(0, 40) + "...' is longer than an HDF5 attribute "
            + "can hold (" + ATTRIBUTE_LIMIT + " bytes)");
      }
    }
    List<List<String>> chunks = split(values);
    if (chunks.size() == 1) {
      node.putAttribute(name, values.toArray(new String[0]));
      return;
    }
    for (int i = 0; i < chunks.size(); i++) {
      node.putAttribute(name + i, chunks.get(i).toArray(new String[0]));
    }
  }

  /** The fewest {@code numpy.array_split} chunks whose fixed-length string arrays fit the attribute limit. */
  static List<List<String>> split(List<String> values) {
    for (int k = 1; ; k++) {
      List<List<String>> chunks = new ArrayList<>();
      int n = values.size();
      int base = n / k;
      int extra = n % k;
      int at = 0;
      boolean fits = true;
      for (int c = 0; c < k; c++) {
        int size = base + (c < extra ? 1 : 0);
        List<String> chunk = values.subList(at, at + size);
        at += size;
        chunks.add(chunk);
        if (fixedLengthBytes(chunk) > ATTRIBUTE_LIMIT) {
          fits = false;
        }
      }
      if (fits) {
        return chunks;
      }
    }
  }

  /** Bytes jhdf needs for a fixed-length string array: every element padded to the longest + 1. */
  static long fixedLengthBytes(List<String> values) {
    int max = 0;
    for (String v : values) {
      max = Math.max(max, v.getBytes(StandardCharsets.UTF_8).length);
    }
    return (long) values.size() * (max + 1);
  }

  /** Canonical bytes as the n-dimensional Java array (or boxed scalar) jhdf writes. */
  static Object javaArray(DType dtype, Shape shape, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) shape.numElements();
    Object flat;
    switch (dtype) {
      case FLOAT: {
        float[] a = new float[n];
        b.asFloatBuffer().get(a);
        flat = a;
        break;
      }
      case DOUBLE: {
        double[] a = new double[n];
        b.asDoubleBuffer().get(a);
        flat = a;
        break;
      }
      case INT8:
      case UINT8: {
        flat = bytes.clone();
        break;
      }
      case INT16:
      case UINT16: {
        short[] a = new short[n];
        b.asShortBuffer().get(a);
        flat = a;
        break;
      }
      case INT32:
      case UINT32: {
        int[] a = new int[n];
        b.asIntBuffer().get(a);
        flat = a;
        break;
      }
      case INT64:
      case UINT64: {
        long[] a = new long[n];
        b.asLongBuffer().get(a);
        flat = a;
        break;
      }
      case BOOL: {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          a[i] = bytes[i] != 0;
        }
        flat = a;
        break;
      }
      case STRING: {
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
          int len = (int) b.getLong();
          byte[] s = new byte[len];
          b.get(s);
          a[i] = new String(s, StandardCharsets.UTF_8);
        }
        flat = a;
        break;
      }
      default:
        throw new UnsupportedInputException("HDF5 output cannot hold " + dtype);
    }
    if (shape.rank() == 0) {
      return Array.get(flat, 0);
    }
    if (shape.rank() == 1) {
      return flat;
    }
    return nest(flat, shape.dims(), 0, new int[] {0});
  }

  private static Object nest(Object flat, long[] dims, int d, int[] at) {
    Class<?> component = flat.getClass().getComponentType();
    if (d == dims.length - 1) {
      Object row = Array.newInstance(component, (int) dims[d]);
      System.arraycopy(flat, at[0], row, 0, (int) dims[d]);
      at[0] += (int) dims[d];
      return row;
    }
    int[] rest = new int[dims.length - d - 1];
    Object out = Array.newInstance(component, concat((int) dims[d], rest));
    for (int i = 0; i < dims[d]; i++) {
      Array.set(out, i, nest(flat, dims, d + 1, at));
    }
    return out;
  }

  private static int[] concat(int first, int[] zeros) {
    int[] out = new int[zeros.length + 1];
    out[0] = first;
    return out;
  }
}
