package io.tfgw.runtime;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.CanonicalStrings;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor value of the runtime: dtype, shape and the elements in row-major order in a Java array. Immutable by
 * convention: kernels never write into a tensor they did not create, so values may be shared.
 *
 * <p>The backing array depends on the dtype: {@code float[]} (float32), {@code double[]} (float64), {@code int[]}
 * (int32, uint32, qint32), {@code long[]} (int64, uint64), {@code boolean[]} (bool), {@code byte[]} (int8, uint8,
 * qint8, quint8, 8-bit floats), {@code short[]} (int16, uint16, float16 and bfloat16 as their bit patterns),
 * {@code byte[][]} (string) and {@code Object[]} (resource, variant). Unsigned types hold their bit pattern.
 * Complex types are not supported by the runtime.
 */
public final class Tensor {
  private final DType dtype;
  private final Shape shape;
  private final Object data;
  private final int size;
  /** Set for a graph constant, whose values outlive one run: kernels may keep derived forms of it in {@link #derived}. */
  private volatile boolean constant;
  private volatile Object derived;

  private Tensor(DType dtype, Shape shape, Object data, int size) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
    this.size = size;
  }

  /** Marks a graph constant (its values never change and it is reused by every run); returns this. */
  Tensor markConstant() {
    constant = true;
    return this;
  }

  /**
   * A form of this tensor's values that a kernel derives (a packed matrix, a transposed filter). For a graph constant it
   * is made once and kept with the tensor, so later runs skip the work; for any other tensor it is made each time.
   */
  public <T> T derived(Class<T> type, java.util.function.Supplier<T> make) {
    if (!constant) {
      return make.get();
    }
    Object d = derived;
    if (type.isInstance(d)) {
      return type.cast(d);
    }
    T made = make.get();
    derived = made;
    return made;
  }

  /** A tensor over {@code data}, which must be the array type of the dtype with shape.numElements() elements. */
  public static Tensor of(DType dtype, Shape shape, Object data) {
    int n = checkedSize(dtype, shape);
    Class<?> expected = arrayClass(dtype);
    if (data == null || data.getClass() != expected) {
      throw new IllegalArgumentException(dtype + " tensors hold " + expected.getSimpleName() + ", got "
          + (data == null ? "null" : data.getClass().getSimpleName()));
    }
    int len = java.lang.reflect.Array.getLength(data);
    if (len != n) {
      throw new IllegalArgumentException("shape " + shape + " needs " + n + " elements, got " + len);
    }
    return new Tensor(dtype, shape, data, n);
  }

  public static Tensor of(DType dtype, long[] dims, Object data) {
    return of(dtype, Shape.of(dims), data);
  }

  public static Tensor ofFloats(long[] dims, float... v) {
    return of(DType.FLOAT, Shape.of(dims), v);
  }

  public static Tensor ofDoubles(long[] dims, double... v) {
    return of(DType.DOUBLE, Shape.of(dims), v);
  }

  public static Tensor ofInts(long[] dims, int... v) {
    return of(DType.INT32, Shape.of(dims), v);
  }

  public static Tensor ofLongs(long[] dims, long... v) {
    return of(DType.INT64, Shape.of(dims), v);
  }

  public static Tensor ofBools(long[] dims, boolean... v) {
    return of(DType.BOOL, Shape.of(dims), v);
  }

  public static Tensor ofStrings(long[] dims, byte[]... v) {
    return of(DType.STRING, Shape.of(dims), v);
  }

  public static Tensor scalar(float v) {
    return new Tensor(DType.FLOAT, Shape.scalar(), new float[] {v}, 1);
  }

  public static Tensor scalar(double v) {
    return new Tensor(DType.DOUBLE, Shape.scalar(), new double[] {v}, 1);
  }

  public static Tensor scalar(int v) {
    return new Tensor(DType.INT32, Shape.scalar(), new int[] {v}, 1);
  }

  public static Tensor scalar(long v) {
    return new Tensor(DType.INT64, Shape.scalar(), new long[] {v}, 1);
  }

  public static Tensor scalar(boolean v) {
    return new Tensor(DType.BOOL, Shape.scalar(), new boolean[] {v}, 1);
  }

  public static Tensor scalarString(byte[] v) {
    return new Tensor(DType.STRING, Shape.scalar(), new byte[][] {v}, 1);
  }

  /** A tensor of zeros (false, empty strings, null handles). */
  public static Tensor zeros(DType dtype, Shape shape) {
    int n = checkedSize(dtype, shape);
    Object data = allocate(dtype, n);
    if (dtype == DType.STRING) {
      Arrays.fill((byte[][]) data, new byte[0]);
    }
    return new Tensor(dtype, shape, data, n);
  }

  /** A new array for {@code n} elements of the dtype. */
  public static Object allocate(DType dtype, int n) {
    switch (dtype) {
      case FLOAT:
        return new float[n];
      case DOUBLE:
        return new double[n];
      case INT32: case UINT32: case QINT32:
        return new int[n];
      case INT64: case UINT64:
        return new long[n];
      case BOOL:
        return new boolean[n];
      case INT8: case UINT8: case QINT8: case QUINT8: case FLOAT8_E5M2: case FLOAT8_E4M3FN: case FLOAT8_E4M3FNUZ:
      case FLOAT8_E4M3B11FNUZ: case FLOAT8_E5M2FNUZ: case INT4: case UINT4:
        return new byte[n];
      case INT16: case UINT16: case QINT16: case QUINT16: case HALF: case BFLOAT16:
        return new short[n];
      case STRING:
        return new byte[n][];
      case RESOURCE: case VARIANT:
        return new Object[n];
      default:
        throw new UnsupportedInputException("The runtime does not support tensors of dtype " + dtype);
    }
  }

  static Class<?> arrayClass(DType dtype) {
    return allocate(dtype, 0).getClass();
  }

  private static int checkedSize(DType dtype, Shape shape) {
    long n = shape.numElements();
    if (n > Integer.MAX_VALUE - 8) {
      throw new UnsupportedInputException("A " + dtype + shape + " tensor has " + n
          + " elements; the runtime holds at most 2^31 elements per tensor");
    }
    return (int) n;
  }

  /** Reads the canonical bytes of {@code data} (crc-checked by sources that have checksums). */
  public static Tensor fromData(TensorData data) {
    DType dtype = data.dtype();
    Shape shape = data.shape();
    int n = checkedSize(dtype, shape);
    try (InputStream in = data.open()) {
      if (dtype == DType.STRING) {
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
          long len = CanonicalStrings.readLength(in, "string tensor");
          if (len < 0 || len > Integer.MAX_VALUE - 8) {
            throw new CorruptInputException("string tensor: element " + i + " is missing or too long");
          }
          out[i] = in.readNBytes((int) len);
          if (out[i].length != len) {
            throw new CorruptInputException("string tensor: stream ends inside element " + i);
          }
        }
        return new Tensor(dtype, shape, out, n);
      }
      if (!dtype.isFixedSize()) {
        throw new UnsupportedInputException("The runtime cannot load tensors of dtype " + dtype);
      }
      byte[] bytes = in.readNBytes((int) shape.byteSize(dtype));
      if (bytes.length != shape.byteSize(dtype)) {
        throw new CorruptInputException(dtype + shape.toString() + " tensor: stream ends after " + bytes.length
            + " bytes");
      }
      return fromCanonical(dtype, shape, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fixed-size tensor from its canonical little-endian bytes. */
  public static Tensor fromCanonical(DType dtype, Shape shape, byte[] bytes) {
    if (dtype == DType.STRING) {
      return fromData(new InMemoryTensorData(dtype, shape, bytes));
    }
    if (dtype.isComplex()) {
      throw new UnsupportedInputException("The runtime does not support tensors of dtype " + dtype);
    }
    int n = checkedSize(dtype, shape);
    if (bytes.length != (long) n * dtype.elementSize()) {
      throw new IllegalArgumentException(dtype + shape.toString() + " needs " + shape.byteSize(dtype) + " bytes");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    Object data = allocate(dtype, n);
    if (data instanceof float[] f) {
      buf.asFloatBuffer().get(f);
    } else if (data instanceof double[] d) {
      buf.asDoubleBuffer().get(d);
    } else if (data instanceof int[] i) {
      buf.asIntBuffer().get(i);
    } else if (data instanceof long[] l) {
      buf.asLongBuffer().get(l);
    } else if (data instanceof short[] s) {
      buf.asShortBuffer().get(s);
    } else if (data instanceof byte[] b) {
      System.arraycopy(bytes, 0, b, 0, n);
    } else if (data instanceof boolean[] z) {
      for (int k = 0; k < n; k++) {
        z[k] = bytes[k] != 0;
      }
    } else {
      throw new UnsupportedInputException("The runtime cannot load tensors of dtype " + dtype);
    }
    return new Tensor(dtype, shape, data, n);
  }

  /** The canonical bytes (the contract's hash covers exactly these). */
  public byte[] canonicalBytes() {
    if (data instanceof byte[][] strings) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] len = new byte[8];
      for (byte[] s : strings) {
        CanonicalStrings.putLength(len, 0, s.length);
        out.write(len, 0, 8);
        out.write(s, 0, s.length);
      }
      return out.toByteArray();
    }
    if (!dtype.isFixedSize()) {
      throw new UnsupportedInputException("A " + dtype + " tensor has no canonical bytes");
    }
    byte[] bytes = new byte[size * dtype.elementSize()];
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (data instanceof float[] f) {
      buf.asFloatBuffer().put(f);
    } else if (data instanceof double[] d) {
      buf.asDoubleBuffer().put(d);
    } else if (data instanceof int[] i) {
      buf.asIntBuffer().put(i);
    } else if (data instanceof long[] l) {
      buf.asLongBuffer().put(l);
    } else if (data instanceof short[] s) {
      buf.asShortBuffer().put(s);
    } else if (data instanceof byte[] b) {
      System.arraycopy(b, 0, bytes, 0, size);
    } else if (data instanceof boolean[] z) {
      for (int k = 0; k < size; k++) {
        bytes[k] = (byte) (z[k] ? 1 : 0);
      }
    }
    return bytes;
  }

  /** The values as {@link TensorData} (canonical bytes in memory). */
  public InMemoryTensorData toData() {
    return new InMemoryTensorData(dtype, shape, canonicalBytes());
  }

  public DType dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  public int rank() {
    return shape.rank();
  }

  public long[] dims() {
    return shape.dims();
  }

  /** Dimension {@code i} (negative counts from the end). */
  public int dim(int i) {
    return (int) shape.dim(i < 0 ? i + shape.rank() : i);
  }

  /** Number of elements. */
  public int size() {
    return size;
  }

  /** The backing array (see the class comment); do not modify it. */
  public Object array() {
    return data;
  }

  public float[] floats() {
    return (float[]) expect(float[].class);
  }

  public double[] doubles() {
    return (double[]) expect(double[].class);
  }

  public int[] ints() {
    return (int[]) expect(int[].class);
  }

  public long[] longs() {
    return (long[]) expect(long[].class);
  }

  public boolean[] bools() {
    return (boolean[]) expect(boolean[].class);
  }

  public byte[][] strings() {
    return (byte[][]) expect(byte[][].class);
  }

  public Object[] objects() {
    return (Object[]) expect(Object[].class);
  }

  private Object expect(Class<?> type) {
    if (data.getClass() != type) {
      throw new KernelException("expected a tensor of " + type.getComponentType().getSimpleName()
          + " values, got " + dtype);
    }
    return data;
  }

  /** The same values with another shape of the same size (shares the array). */
  public Tensor reshape(Shape newShape) {
    if (newShape.numElements() != size) {
      throw new KernelException("cannot reshape " + shape + " (" + size + " elements) to " + newShape);
    }
    return new Tensor(dtype, newShape, data, size);
  }

  /** Element {@code i} of an integer or bool tensor as a long (int32/int64 index and shape inputs). */
  public long getLong(int i) {
    if (data instanceof int[] a) {
      return a[i];
    }
    if (data instanceof long[] a) {
      return a[i];
    }
    if (data instanceof short[] a) {
      return a[i];
    }
    if (data instanceof byte[] a) {
      return a[i];
    }
    if (data instanceof boolean[] a) {
      return a[i] ? 1 : 0;
    }
    throw new KernelException("expected an integer tensor, got " + dtype);
  }

  /** Element {@code i} of a float32/float64/integer tensor as a double. */
  public double getDouble(int i) {
    if (data instanceof float[] a) {
      return a[i];
    }
    if (data instanceof double[] a) {
      return a[i];
    }
    return getLong(i);
  }

  /** All elements of an int32/int64 tensor as longs. */
  public long[] toLongs() {
    long[] out = new long[size];
    for (int i = 0; i < size; i++) {
      out[i] = getLong(i);
    }
    return out;
  }

  /** Whether dtype, shape and every element's bits are the same. */
  public boolean bitEquals(Tensor o) {
    if (dtype != o.dtype || !shape.equals(o.shape)) {
      return false;
    }
    if (data instanceof float[] a) {
      float[] b = (float[]) o.data;
      for (int i = 0; i < size; i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          return false;
        }
      }
      return true;
    }
    if (data instanceof double[] a) {
      double[] b = (double[]) o.data;
      for (int i = 0; i < size; i++) {
        if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
          return false;
        }
      }
      return true;
    }
    if (dtype != DType.STRING && (data instanceof Object[] || !dtype.isFixedSize())) {
      return Arrays.equals((Object[]) data, (Object[]) o.data); // resource and variant handles
    }
    return Arrays.equals(canonicalBytes(), o.canonicalBytes());
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(dtype.pythonName()).append(shape).append(' ');
    int shown = Math.min(size, 8);
    b.append('[');
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        b.append(", ");
      }
      if (data instanceof byte[][] s) {
        b.append('"').append(new String(s[i], java.nio.charset.StandardCharsets.UTF_8)).append('"');
      } else if (data instanceof Object[] o) {
        b.append(o[i]);
      } else if (data instanceof boolean[] z) {
        b.append(z[i]);
      } else if (data instanceof float[] || data instanceof double[]) {
        b.append(getDouble(i));
      } else {
        b.append(getLong(i));
      }
    }
    if (shown < size) {
      b.append(", ...");
    }
    return b.append(']').toString();
  }
}
