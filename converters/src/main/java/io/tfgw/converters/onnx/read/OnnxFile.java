package io.tfgw.converters.onnx.read;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.converters.onnx.OnnxTypes;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import io.tfgw.proto.onnx.ModelProto;
import io.tfgw.proto.onnx.StringStringEntryProto;
import io.tfgw.proto.onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An ONNX model file, parsed defensively: the protobuf is parsed with a size limit equal to the file's length (so no
 * length field can make the parser allocate more than the file holds), and every tensor's claimed size (dims × element
 * size) is checked against the bytes actually there before anything is allocated. External data must stay inside the
 * model's directory (no absolute paths, no {@code ..}, no symlinks: the path-traversal class of CVE-2022-25882 and
 * CVE-2024-27318), and its offset and length must lie inside the data file.
 */
public final class OnnxFile {
  /** Protobuf's own limit: a ModelProto cannot be larger (weights past it go to external data). */
  static final long MAX_MODEL_BYTES = Integer.MAX_VALUE;
  /** The largest single tensor read into memory (Java arrays are indexed by int). */
  static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

  private final Storage storage;
  private final Location location;
  private final ModelProto model;

  private OnnxFile(Storage storage, Location location, ModelProto model) {
    this.storage = storage;
    this.location = location;
    this.model = model;
  }

  /** Reads and parses the model file (not its external data, which is read tensor by tensor). */
  public static OnnxFile read(Storage storage, Location file) {
    long length = storage.inputFile(file).length();
    if (length > MAX_MODEL_BYTES) {
      throw new CorruptInputException(file + " is " + length + " bytes, more than an ONNX model file can be "
          + "(protobuf's 2 GiB limit; larger weights belong in external data)");
    }
    return parse(storage, file, storage.inputFile(file).readAllBytes());
  }

  /** Parses model bytes that came from {@code file} (external data is looked up beside it). */
  public static OnnxFile parse(Storage storage, Location file, byte[] bytes) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setSizeLimit(bytes.length);
      in.setRecursionLimit(64);
      ModelProto model = ModelProto.parseFrom(in);
      if (!model.hasGraph() || model.getIrVersion() <= 0) {
        throw new CorruptInputException(file + " is not an ONNX model: no " + (model.hasGraph() ? "ir_version" : "graph"));
      }
      return new OnnxFile(storage, file, model);
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(file + " is not a valid ONNX ModelProto: " + e.getMessage());
    } catch (IOException e) {
      throw new CorruptInputException(file + " cannot be parsed as ONNX: " + e.getMessage());
    }
  }

  public Location location() {
    return location;
  }

  public ModelProto model() {
    return model;
  }

  /** The version of the default ({@code ai.onnx}) opset the model imports. */
  public long opset() {
    for (var o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        return o.getVersion();
      }
    }
    // IR version 3 models without an opset_import are opset 1; later ones must declare it
    return 1;
  }

  /** The tensor's shape, its dims checked (non-negative, product without overflow). */
  static Shape shape(TensorProto t, String what) {
    long n = 1;
    long[] dims = new long[t.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
      if (dims[i] < 0) {
        throw new CorruptInputException(what + " has a negative dimension " + dims[i]);
      }
      try {
        n = Math.multiplyExact(n, dims[i]);
      } catch (ArithmeticException e) {
        throw new CorruptInputException(what + " claims more elements than can exist: dims " + t.getDimsList());
      }
    }
    return Shape.of(dims);
  }

  /** The ONNX element type as a TF dtype, with a message naming the tensor when there is none. */
  static DType dtype(int elemType, String what) {
    try {
      return OnnxTypes.dtype(elemType);
    } catch (UnsupportedInputException e) {
      throw new UnsupportedInputException(what + " has ONNX element type " + elemType + ", which tfgw cannot read "
          + "(supported: float, double, float16, bfloat16, int8-64, uint8-64, bool, string)");
    }
  }

  /** A tensor's value in TF's canonical (little-endian, row-major) bytes; {@code what} names it in errors. */
  public InMemoryTensorData tensor(TensorProto t, String what) {
    DType dtype = dtype(t.getDataType(), what);
    Shape shape = shape(t, what);
    long n = shape.numElements();
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      return external(t, dtype, shape, what);
    }
    if (dtype == DType.STRING) {
      if (t.getStringDataCount() != n) {
        throw new CorruptInputException(what + " has " + t.getStringDataCount() + " strings for shape " + shape);
      }
      List<byte[]> elements = new ArrayList<>();
      t.getStringDataList().forEach(s -> elements.add(s.toByteArray()));
      return InMemoryTensorData.ofStrings(shape, elements);
    }
    long bytes = byteSize(shape, dtype, what);
    if (t.hasRawData()) {
      if (t.getRawData().size() != bytes) {
        throw new CorruptInputException(what + " has " + t.getRawData().size() + " bytes of raw_data but its shape "
            + shape + " of " + dtype + " needs " + bytes);
      }
      return new InMemoryTensorData(dtype, shape, t.getRawData().toByteArray());
    }
    int count = typedCount(t, dtype);
    if (count != n) {
      throw new CorruptInputException(what + " holds " + count + " values but its shape " + shape + " needs " + n);
    }
    ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (dtype) {
        case FLOAT -> out.putFloat(t.getFloatData(i));
        case DOUBLE -> out.putDouble(t.getDoubleData(i));
        case INT64 -> out.putLong(t.getInt64Data(i));
        case UINT64 -> out.putLong(t.getUint64Data(i));
        case UINT32 -> out.putInt((int) t.getUint64Data(i));
        case INT32 -> out.putInt(t.getInt32Data(i));
        // ONNX stores the narrow types (and float16/bfloat16 bit patterns) in int32_data, one per element
        case INT16, UINT16, HALF, BFLOAT16 -> out.putShort((short) t.getInt32Data(i));
        case INT8, UINT8, BOOL -> out.put((byte) t.getInt32Data(i));
        default -> throw new UnsupportedInputException(what + ": " + dtype + " values in typed fields are not supported");
      }
    }
    return new InMemoryTensorData(dtype, shape, out.array());
  }

  private static long byteSize(Shape shape, DType dtype, String what) {
    try {
      return Math.multiplyExact(shape.numElements(), (long) dtype.elementSize());
    } catch (ArithmeticException e) {
      throw new CorruptInputException(what + " claims more bytes than can exist: shape " + shape);
    }
  }

  private static int typedCount(TensorProto t, DType dtype) {
    return switch (dtype) {
      case FLOAT -> t.getFloatDataCount();
      case DOUBLE -> t.getDoubleDataCount();
      case INT64 -> t.getInt64DataCount();
      case UINT64, UINT32 -> t.getUint64DataCount();
      default -> t.getInt32DataCount();
    };
  }

  private InMemoryTensorData external(TensorProto t, DType dtype, Shape shape, String what) {
    String name = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> name = e.getValue();
        case "offset" -> offset = parseSize(e.getValue(), "offset", what);
        case "length" -> length = parseSize(e.getValue(), "length", what);
        default -> { } // "checksum" and other keys do not change where the bytes are
      }
    }
    if (name == null || name.isEmpty()) {
      throw new CorruptInputException(what + " is stored externally but names no location");
    }
    if (dtype == DType.STRING) {
      throw new UnsupportedInputException(what + ": string tensors in external data are not supported");
    }
    long bytes = byteSize(shape, dtype, what);
    if (length >= 0 && length != bytes) {
      throw new CorruptInputException(what + " declares " + length + " bytes of external data but its shape " + shape
          + " of " + dtype + " needs " + bytes);
    }
    if (bytes > MAX_TENSOR_BYTES) {
      throw new UnsupportedInputException(what + " is " + bytes + " bytes, more than tfgw holds in one array");
    }
    Location data = externalLocation(name, what);
    try (RandomAccessInput in = storage.inputFile(data).open()) {
      if (offset > in.length() || bytes > in.length() - offset) {
        throw new CorruptInputException(what + " lies at bytes " + offset + ".." + (offset + bytes) + " of " + data
            + ", which has only " + in.length() + " bytes");
      }
      return new InMemoryTensorData(dtype, shape, in.readFully(offset, (int) bytes));
    }
  }

  private static long parseSize(String value, String key, String what) {
    try {
      long v = Long.parseLong(value.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new CorruptInputException(what + " has external-data " + key + " '" + value + "', not a byte count");
    }
  }

  /**
   * The external data file, which must be inside the model's directory: a relative path without {@code ..}
   * segments, and (locally) no symlink along the way that leads out of the directory.
   */
  Location externalLocation(String name, String what) {
    String normalized = name.replace('\\', '/');
    boolean absolute = normalized.startsWith("/") || normalized.matches("^[A-Za-z]:.*") || normalized.contains("://");
    boolean parent = false;
    for (String segment : normalized.split("/")) {
      parent |= segment.equals("..");
    }
    if (absolute || parent || normalized.indexOf('\0') >= 0) {
      throw new WrongInputException(what + " names external data '" + name + "', which is outside the model's "
          + "directory; tfgw reads external data only from files beside the model (relative paths without '..')");
    }
    Location dir = location.parent();
    Location data = dir.resolve(normalized);
    if (data.isLocal() && dir.isLocal()) {
      try {
        Path realDir = dir.toLocalPath().toRealPath();
        Path local = data.toLocalPath();
        if (Files.exists(local) && !local.toRealPath().startsWith(realDir)) {
          throw new WrongInputException(what + " names external data '" + name + "', a symbolic link that leads outside the model's directory ("
              + dir + "); copy the data file next to the model instead");
        }
      } catch (IOException e) {
        throw new io.tfgw.core.storage.StorageException("Cannot resolve " + data + ": " + e.getMessage());
      }
    }
    if (!storage.exists(data)) {
      throw new io.tfgw.core.storage.LocationNotFoundException(data, what + " is stored in external data file "
          + data + ", which does not exist; copy it together with " + location.fileName());
    }
    return data;
  }
}
