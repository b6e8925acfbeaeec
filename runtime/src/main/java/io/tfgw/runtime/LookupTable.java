package io.tfgw.runtime;

import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A lookup table of a session, as TensorFlow's {@code HashTable} (the table behind {@code StaticHashTable}, TF1's
 * {@code index_table_from_file} and friends): scalar keys (string, int32, int64) to scalar values, filled once by an
 * initialiser and then read by lookups. The semantics follow TF's {@code InitializableLookupTable}: a lookup before
 * initialisation fails, a key inserted twice with different values fails, and a second initialisation is accepted
 * only when it brings as many entries as the table holds (TF's {@code AreEntriesSame} compares sizes).
 *
 * <p>Entries keep their insertion order, so a table's contents can be written out deterministically (freezing).
 */
public final class LookupTable {
  private static final java.util.Set<DType> KEY_TYPES = java.util.Set.of(DType.STRING, DType.INT32, DType.INT64);
  private static final java.util.Set<DType> VALUE_TYPES = java.util.Set.of(DType.STRING, DType.INT32, DType.INT64,
      DType.FLOAT, DType.DOUBLE, DType.BOOL);

  private final String key;
  private final DType keyType;
  private final DType valueType;
  private final Map<Object, Integer> index = new HashMap<>();
  private final List<Object> keys = new ArrayList<>();
  private final List<Object> values = new ArrayList<>();
  private boolean initialized;

  /** An empty, uninitialised table; fails for key or value types TF's HashTable has no kernel for here. */
  public LookupTable(String key, DType keyType, DType valueType) {
    if (!KEY_TYPES.contains(keyType) || !VALUE_TYPES.contains(valueType)) {
      throw new KernelException("hash tables from " + keyType.pythonName() + " to " + valueType.pythonName()
          + " are not supported (keys: string, int32, int64; values: string, int32, int64, float32, float64, bool)");
    }
    this.key = key;
    this.keyType = keyType;
    this.valueType = valueType;
  }

  /** The session resource key of the table with this shared name (or, without one, node name). */
  public static String resourceKey(String sharedOrNodeName) {
    return "hash_table:" + sharedOrNodeName;
  }

  /** The table's key in the session (its shared name, or its node's name). */
  public String key() {
    return key;
  }

  public DType keyType() {
    return keyType;
  }

  public DType valueType() {
    return valueType;
  }

  public synchronized boolean isInitialized() {
    return initialized;
  }

  /** Entries in the table (0 before initialisation, as TF's LookupTableSize says). */
  public synchronized long size() {
    return initialized ? keys.size() : 0;
  }

  /**
   * Fills the table from parallel key and value tensors (flattened). {@code totalSize} is the number of entries the
   * initialiser claims (TF's iterator total size), compared with the table's size when it is already initialised.
   */
  public synchronized void initialize(Tensor newKeys, Tensor newValues, long totalSize) {
    if (newKeys.dtype() != keyType || newValues.dtype() != valueType) {
      throw new KernelException("Expected key type " + keyType.pythonName() + " and value type "
          + valueType.pythonName() + ", got " + newKeys.dtype().pythonName() + " and "
          + newValues.dtype().pythonName());
    }
    if (newKeys.size() != newValues.size()) {
      throw new KernelException("keys and values must have the same size " + newKeys.size() + " vs "
          + newValues.size() + ".");
    }
    if (initialized) {
      if (totalSize != keys.size()) {
        throw new TableAlreadyInitializedException("Table was already initialized with different data.");
      }
      return;
    }
    for (int i = 0; i < newKeys.size(); i++) {
      Object k = element(newKeys, i);
      Object v = element(newValues, i);
      Integer at = index.get(k);
      if (at == null) {
        index.put(k, keys.size());
        keys.add(k);
        values.add(v);
      } else if (!sameValue(values.get(at), v)) {
        throw new KernelException("HashTable has different value for same key. Key " + show(k) + " has "
            + show(values.get(at)) + " and trying to add value " + show(v));
      }
    }
    initialized = true;
  }

  /**
   * Values for {@code lookupKeys} (any shape), the first element of {@code defaultValue} where a key is absent. TF
   * accepts a default shaped like the keys but, in its HashTable, still uses only the first element.
   */
  public synchronized Tensor find(Tensor lookupKeys, Tensor defaultValue) {
    if (!initialized) {
      throw new KernelException("Table not initialized.");
    }
    if (lookupKeys.dtype() != keyType || defaultValue.dtype() != valueType) {
      throw new KernelException("Expected key type " + keyType.pythonName() + " and value type "
          + valueType.pythonName() + ", got " + lookupKeys.dtype().pythonName() + " and "
          + defaultValue.dtype().pythonName());
    }
    if (defaultValue.rank() != 0 && !defaultValue.shape().equals(lookupKeys.shape())) {
      throw new KernelException("Expected shape [] or " + lookupKeys.shape() + " for default value, got "
          + defaultValue.shape());
    }
    int n = lookupKeys.size();
    List<Object> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Integer at = index.get(element(lookupKeys, i));
      out.add(at != null ? values.get(at) : element(defaultValue, 0));
    }
    return build(valueType, lookupKeys.shape(), out);
  }

  /** The keys in insertion order, as a vector. */
  public synchronized Tensor keys() {
    return build(keyType, Shape.of(keys.size()), keys);
  }

  /** The values in the keys' order, as a vector. */
  public synchronized Tensor values() {
    return build(valueType, Shape.of(values.size()), values);
  }

  /** The second initialisation of a table with other contents, which TF reports as a failed precondition. */
  public static final class TableAlreadyInitializedException extends KernelException {
    TableAlreadyInitializedException(String message) {
      super(message);
    }
  }

  // Elements are held as comparable Java values: strings as ISO-8859-1 text (one char per byte, so any bytes
  // round-trip), floats and doubles as their raw bits, so NaN payloads and -0.0 come back as they went in.
  private static Object element(Tensor t, int i) {
    switch (t.dtype()) {
      case STRING:
        return new String(t.strings()[i], StandardCharsets.ISO_8859_1);
      case INT32:
        return t.ints()[i];
      case INT64:
        return t.longs()[i];
      case FLOAT:
        return Float.floatToRawIntBits(t.floats()[i]);
      case DOUBLE:
        return Double.doubleToRawLongBits(t.doubles()[i]);
      case BOOL:
        return t.bools()[i];
      default:
        throw new KernelException("unsupported table element type " + t.dtype());
    }
  }

  /** TF compares values with {@code !=}: floats by value, so NaN never equals itself and 0.0 equals -0.0. */
  private boolean sameValue(Object a, Object b) {
    if (valueType == DType.FLOAT) {
      return Float.intBitsToFloat((Integer) a) == Float.intBitsToFloat((Integer) b);
    }
    if (valueType == DType.DOUBLE) {
      return Double.longBitsToDouble((Long) a) == Double.longBitsToDouble((Long) b);
    }
    return a.equals(b);
  }

  private String show(Object element) {
    if (element instanceof Integer bits && valueType == DType.FLOAT) {
      return String.valueOf(Float.intBitsToFloat(bits));
    }
    return String.valueOf(element);
  }

  private static Tensor build(DType dtype, Shape shape, List<Object> elements) {
    int n = elements.size();
    switch (dtype) {
      case STRING: {
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
          out[i] = ((String) elements.get(i)).getBytes(StandardCharsets.ISO_8859_1);
        }
        return Tensor.of(dtype, shape, out);
      }
      case INT32: {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
          out[i] = (Integer) elements.get(i);
        }
        return Tensor.of(dtype, shape, out);
      }
      case INT64: {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
          out[i] = (Long) elements.get(i);
        }
        return Tensor.of(dtype, shape, out);
      }
      case FLOAT: {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((Integer) elements.get(i));
        }
        return Tensor.of(dtype, shape, out);
      }
      case DOUBLE: {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
          out[i] = Double.longBitsToDouble((Long) elements.get(i));
        }
        return Tensor.of(dtype, shape, out);
      }
      case BOOL: {
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) {
          out[i] = (Boolean) elements.get(i);
        }
        return Tensor.of(dtype, shape, out);
      }
      default:
        throw new KernelException("unsupported table element type " + dtype);
    }
  }
}
