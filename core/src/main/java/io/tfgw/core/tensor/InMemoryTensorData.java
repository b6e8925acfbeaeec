package io.tfgw.core.tensor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.List;

/** Tensor values held in memory as canonical bytes: small tensors, test data, parsed constants. */
public final class InMemoryTensorData implements TensorData {
  private final DType dtype;
  private final Shape shape;
  private final byte[] canonical;

  public InMemoryTensorData(DType dtype, Shape shape, byte[] canonical) {
    if (dtype.isFixedSize() && canonical.length != shape.byteSize(dtype)) {
      throw new IllegalArgumentException(dtype + shape.toString() + " needs " + shape.byteSize(dtype)
          + " bytes, got " + canonical.length);
    }
    this.dtype = dtype;
    this.shape = shape;
    this.canonical = canonical;
  }

  /** A string tensor from its elements in row-major order. */
  public static InMemoryTensorData ofStrings(Shape shape, List<byte[]> elements) {
    if (elements.size() != shape.numElements()) {
      throw new IllegalArgumentException("shape " + shape + " needs " + shape.numElements() + " strings");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] len = new byte[8];
    for (byte[] e : elements) {
      CanonicalStrings.putLength(len, 0, e.length);
      out.write(len, 0, 8);
      out.write(e, 0, e.length);
    }
    return new InMemoryTensorData(DType.STRING, shape, out.toByteArray());
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public InputStream open() {
    return new ByteArrayInputStream(canonical);
  }

  @Override
  public long canonicalLength() {
    return canonical.length;
  }

  public byte[] bytes() {
    return canonical.clone();
  }
}
