package io.tfgw.core.tensor;

import io.tfgw.core.UnsupportedInputException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * TensorFlow's data types with their {@code types.proto} numbers, Python names and in-memory element sizes.
 * Sizes are those of TF's host tensors (what checkpoints store and the canonical hash covers): 4-bit and 8-bit
 * float types take one byte per element; {@code string}, {@code resource} and {@code variant} have no fixed size.
 */
public enum DType {
  FLOAT(1, "float32", 4),
  DOUBLE(2, "float64", 8),
  INT32(3, "int32", 4),
  UINT8(4, "uint8", 1),
  INT16(5, "int16", 2),
  INT8(6, "int8", 1),
  STRING(7, "string", -1),
  COMPLEX64(8, "complex64", 8),
  INT64(9, "int64", 8),
  BOOL(10, "bool", 1),
  QINT8(11, "qint8", 1),
  QUINT8(12, "quint8", 1),
  QINT32(13, "qint32", 4),
  BFLOAT16(14, "bfloat16", 2),
  QINT16(15, "qint16", 2),
  QUINT16(16, "quint16", 2),
  UINT16(17, "uint16", 2),
  COMPLEX128(18, "complex128", 16),
  HALF(19, "float16", 2),
  RESOURCE(20, "resource", -1),
  VARIANT(21, "variant", -1),
  UINT32(22, "uint32", 4),
  UINT64(23, "uint64", 8),
  FLOAT8_E5M2(24, "float8_e5m2", 1),
  FLOAT8_E4M3FN(25, "float8_e4m3fn", 1),
  FLOAT8_E4M3FNUZ(26, "float8_e4m3fnuz", 1),
  FLOAT8_E4M3B11FNUZ(27, "float8_e4m3b11fnuz", 1),
  FLOAT8_E5M2FNUZ(28, "float8_e5m2fnuz", 1),
  INT4(29, "int4", 1),
  UINT4(30, "uint4", 1);

  private static final Map<Integer, DType> BY_NUMBER = new HashMap<>();
  private static final Map<String, DType> BY_NAME = new HashMap<>();

  static {
    for (DType t : values()) {
      BY_NUMBER.put(t.number, t);
      BY_NAME.put(t.pythonName, t);
    }
    BY_NAME.put("half", HALF);
    BY_NAME.put("float", FLOAT);
    BY_NAME.put("double", DOUBLE);
  }

  private final int number;
  private final String pythonName;
  private final int elementSize;

  DType(int number, String pythonName, int elementSize) {
    this.number = number;
    this.pythonName = pythonName;
    this.elementSize = elementSize;
  }

  /** The DataType enum value of {@code types.proto}. */
  public int number() {
    return number;
  }

  /** TensorFlow's Python name ({@code tf.float32.name}), used in tfgw's output. */
  public String pythonName() {
    return pythonName;
  }

  /** Bytes per element, or -1 for variable-size types. */
  public int elementSize() {
    return elementSize;
  }

  public boolean isFixedSize() {
    return elementSize > 0;
  }

  /** Whether elements are byte-swapped as {@code elementSize} units (complex types swap each half). */
  public int swapUnit() {
    switch (this) {
      case COMPLEX64:
        return 4;
      case COMPLEX128:
        return 8;
      default:
        return elementSize;
    }
  }

  public boolean isFloating() {
    return this == FLOAT || this == DOUBLE || this == HALF || this == BFLOAT16;
  }

  public boolean isComplex() {
    return this == COMPLEX64 || this == COMPLEX128;
  }

  /**
   * The dtype for a {@code types.proto} number; reference types ({@code DT_FLOAT_REF} = number + 100) map to their
   * base type.
   */
  public static DType fromNumber(int number) {
    int base = number > 100 ? number - 100 : number;
    DType t = BY_NUMBER.get(base);
    if (t == null) {
      throw new UnsupportedInputException("Unknown TensorFlow dtype number " + number
          + (number == 0 ? " (DT_INVALID)" : "") + "; this file may come from a newer TensorFlow");
    }
    return t;
  }

  /** Parses a Python dtype name ({@code float32}, {@code half}, {@code int64}, ...). */
  public static DType fromName(String name) {
    DType t = BY_NAME.get(name.toLowerCase(Locale.ROOT));
    if (t == null) {
      throw new IllegalArgumentException("Unknown dtype '" + name + "'");
    }
    return t;
  }

  @Override
  public String toString() {
    return pythonName;
  }
}
