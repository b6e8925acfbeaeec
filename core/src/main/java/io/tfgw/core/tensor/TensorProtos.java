package io.tfgw.core.tensor;

import com.google.protobuf.ByteString;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.proto.DataType;
import io.tfgw.proto.TensorProto;
import io.tfgw.proto.TensorShapeProto;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Converts between {@code TensorProto} and canonical bytes. TF fills a TensorProto either with raw little-endian
 * {@code tensor_content} or with the typed {@code *_val} fields ({@code tensor.cc}: AsProtoTensorContent vs
 * AsProtoField); readers must accept both, and for typed fields TF's rule that fewer values than elements means
 * "repeat the last value" (a Const of zeros is often a single 0).
 */
public final class TensorProtos {
  private TensorProtos() {}

  public static Shape shapeOf(TensorShapeProto proto, String what) {
    if (proto.getUnknownRank()) {
      throw new CorruptInputException(what + ": unknown rank");
    }
    long[] dims = new long[proto.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = proto.getDim(i).getSize();
      if (dims[i] < 0) {
        throw new CorruptInputException(what + ": dimension " + i + " is " + dims[i]);
      }
    }
    Shape s = Shape.of(dims);
    try {
      s.numElements();
    } catch (ArithmeticException e) {
      throw new CorruptInputException(what + ": shape " + s + " overflows");
    }
    return s;
  }

  public static TensorShapeProto shapeProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.rank(); i++) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(shape.dim(i)));
    }
    return b.build();
  }

  /** Canonical bytes of a TensorProto's values (in memory: protos are small or already in memory). */
  public static InMemoryTensorData toTensorData(TensorProto proto, String what) {
    DType dtype = DType.fromNumber(proto.getDtypeValue());
    Shape shape = shapeOf(proto.getTensorShape(), what);
    long n = shape.numElements();
    if (dtype == DType.STRING) {
      List<ByteString> vals = proto.getStringValList();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] len = new byte[8];
      for (long i = 0; i < n; i++) {
        if (vals.isEmpty()) {
          throw new CorruptInputException(what + ": string tensor of " + n + " elements has no values");
        }
        ByteString v = vals.get((int) Math.min(i, vals.size() - 1));
        CanonicalStrings.putLength(len, 0, v.size());
        out.write(len, 0, 8);
        byte[] vb = v.toByteArray();
        out.write(vb, 0, vb.length);
      }
      if (vals.size() > n) {
        throw new CorruptInputException(what + ": " + vals.size() + " strings for " + n + " elements");
      }
      return new InMemoryTensorData(dtype, shape, out.toByteArray());
    }
    if (!dtype.isFixedSize()) {
      throw new UnsupportedInputException(what + ": tensors of dtype " + dtype + " cannot be converted");
    }
    long bytes = shape.byteSize(dtype);
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new UnsupportedInputException(what + ": a " + bytes + "-byte tensor inside a protobuf is too large");
    }
    if (!proto.getTensorContent().isEmpty()) {
      if (proto.getTensorContent().size() != bytes) {
        throw new CorruptInputException(what + ": tensor_content holds " + proto.getTensorContent().size()
            + " bytes but " + dtype + shape + " needs " + bytes);
      }
      return new InMemoryTensorData(dtype, shape, proto.getTensorContent().toByteArray());
    }
    ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    int count = typedCount(proto, dtype);
    if (count > n * (dtype.isComplex() ? 2 : 1)) {
      throw new CorruptInputException(what + ": " + count + " values for " + n + " elements of " + dtype);
    }
    for (long i = 0; i < n; i++) {
      putElement(proto, dtype, count == 0 ? -1 : (int) Math.min(i, lastIndex(count, dtype)), out);
    }
    return new InMemoryTensorData(dtype, shape, out.array());
  }

  private static long lastIndex(int count, DType dtype) {
    return dtype.isComplex() ? count / 2 - 1 : count - 1;
  }

  private static int typedCount(TensorProto p, DType dtype) {
    switch (dtype) {
      case FLOAT:
        return p.getFloatValCount();
      case DOUBLE:
        return p.getDoubleValCount();
      case INT32: case INT16: case INT8: case UINT8: case UINT16: case QINT8: case QUINT8: case QINT16: case QUINT16:
      case QINT32: case INT4: case UINT4:
        return p.getIntValCount();
      case INT64:
        return p.getInt64ValCount();
      case BOOL:
        return p.getBoolValCount();
      case HALF: case BFLOAT16:
        return p.getHalfValCount();
      case COMPLEX64:
        return p.getScomplexValCount();
      case COMPLEX128:
        return p.getDcomplexValCount();
      case UINT32:
        return p.getUint32ValCount();
      case UINT64:
        return p.getUint64ValCount();
      case FLOAT8_E5M2: case FLOAT8_E4M3FN: case FLOAT8_E4M3FNUZ: case FLOAT8_E4M3B11FNUZ: case FLOAT8_E5M2FNUZ:
        return p.getFloat8Val().size();
      default:
        throw new UnsupportedInputException("dtype " + dtype + " has no typed TensorProto field");
    }
  }

  /** Writes element {@code i} of the typed field ({@code i == -1}: zero, TF's value for a field left empty). */
  private static void putElement(TensorProto p, DType dtype, int i, ByteBuffer out) {
    boolean zero = i < 0;
    switch (dtype) {
      case FLOAT:
        out.putFloat(zero ? 0f : p.getFloatVal(i));
        break;
      case DOUBLE:
        out.putDouble(zero ? 0d : p.getDoubleVal(i));
        break;
      case INT32: case QINT32:
        out.putInt(zero ? 0 : p.getIntVal(i));
        break;
      case INT16: case UINT16: case QINT16: case QUINT16:
        out.putShort((short) (zero ? 0 : p.getIntVal(i)));
        break;
      case INT8: case UINT8: case QINT8: case QUINT8: case INT4: case UINT4:
        out.put((byte) (zero ? 0 : p.getIntVal(i)));
        break;
      case INT64:
        out.putLong(zero ? 0L : p.getInt64Val(i));
        break;
      case BOOL:
        out.put((byte) (!zero && p.getBoolVal(i) ? 1 : 0));
        break;
      case HALF: case BFLOAT16:
        out.putShort((short) (zero ? 0 : p.getHalfVal(i)));
        break;
      case COMPLEX64:
        out.putFloat(zero ? 0f : p.getScomplexVal(2 * i));
        out.putFloat(zero ? 0f : p.getScomplexVal(2 * i + 1));
        break;
      case COMPLEX128:
        out.putDouble(zero ? 0d : p.getDcomplexVal(2 * i));
        out.putDouble(zero ? 0d : p.getDcomplexVal(2 * i + 1));
        break;
      case UINT32:
        out.putInt(zero ? 0 : p.getUint32Val(i));
        break;
      case UINT64:
        out.putLong(zero ? 0L : p.getUint64Val(i));
        break;
      default: // float8 types
        out.put(zero ? 0 : p.getFloat8Val().byteAt(i));
    }
  }

  /** A TensorProto holding the values in {@code tensor_content} (strings in {@code string_val}). */
  public static TensorProto withTensorContent(DType dtype, Shape shape, byte[] canonical) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.forNumber(dtype.number()))
        .setTensorShape(shapeProto(shape));
    if (dtype == DType.STRING) {
      ByteBuffer in = ByteBuffer.wrap(canonical).order(ByteOrder.LITTLE_ENDIAN);
      while (in.hasRemaining()) {
        int len = (int) in.getLong();
        byte[] s = new byte[len];
        in.get(s);
        b.addStringVal(ByteString.copyFrom(s));
      }
    } else {
      b.setTensorContent(ByteString.copyFrom(canonical));
    }
    return b.build();
  }
}
