package io.tfgw.converters.v1;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.io.Varint;
import io.tfgw.core.tensor.CanonicalStrings;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorCopier;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.proto.TensorSliceProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Serializes one slice as TF's TensorSliceWriter does, byte for byte: {@code SavedTensorSlices{data: SavedSlice{
 * name, slice, data: TensorProto{<typed field>: packed values}}}}, streaming the values from their source. The
 * value's length is computed first (a pass over the data for varint-encoded dtypes), because the table entry
 * announces it before the bytes.
 */
final class V1SliceEncoder {
  private final String name;
  private final byte[] nameBytes;
  private final byte[] sliceBytes;
  private final TensorData data;
  private final DType dtype;
  private final int field;
  private long payloadLength = -1; // packed payload, or sum of string field sizes
  private long stringBytes; // strings only: the sum of their lengths, known with payloadLength

  V1SliceEncoder(String name, TensorSliceProto slice, TensorData data) {
    this.name = name;
    this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
    this.sliceBytes = slice.toByteArray();
    this.data = data;
    this.dtype = data.dtype();
    this.field = V1SliceDecoder.valueField(dtype, "tensor '" + name + "'");
  }

  private static int varintSize(long v) {
    return Varint.encodedLength(v);
  }

  /**
   * The protobuf int32/int64 encoding of element bytes: sign-extended where TF's copy to int32 sign-extends (int8,
   * qint8, int16), zero-extended for the unsigned types and for float16's bit pattern.
   */
  private long elementValue(byte[] b, int at) {
    switch (dtype) {
      case INT8: case QINT8:
        return b[at];
      case UINT8: case QUINT8: case BOOL:
        return b[at] & 0xff;
      case INT16:
        return (short) ((b[at] & 0xff) | (b[at + 1] & 0xff) << 8);
      case HALF: case UINT16:
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
      case INT32: case QINT32:
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (long) b[at + 3] << 24;
      case INT64: {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
          v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
      }
      default:
        throw new IllegalStateException(dtype.toString());
    }
  }

  private boolean fixedWire() {
    return dtype == DType.FLOAT || dtype == DType.DOUBLE || dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128;
  }

  private long payloadLength() throws IOException {
    if (payloadLength >= 0) {
      return payloadLength;
    }
    long n = data.shape().numElements();
    if (fixedWire()) {
      payloadLength = n * dtype.elementSize();
      return payloadLength;
    }
    long total = 0;
    try (InputStream in = new BufferedInputStream(data.open(), 1 << 16)) {
      if (dtype == DType.STRING) {
        for (long i = 0; i < n; i++) {
          long len = CanonicalStrings.readLength(in, name);
          if (len < 0) {
            throw new CorruptInputException("Tensor '" + name + "' has fewer strings than its shape");
          }
          in.skipNBytes(len);
          total += 1 + varintSize(len) + len;
          stringBytes += len;
        }
      } else {
        byte[] e = new byte[dtype.elementSize()];
        for (long i = 0; i < n; i++) {
          if (CanonicalStrings.readFully(in, e, 0, e.length) != e.length) {
            throw new CorruptInputException("Tensor '" + name + "' has fewer elements than its shape");
          }
          total += varintSize(elementValue(e, 0));
        }
      }
    }
    payloadLength = total;
    return total;
  }

  private long tensorProtoLength() throws IOException {
    long p = payloadLength();
    if (data.shape().numElements() == 0) {
      return 0;
    }
    if (dtype == DType.STRING) {
      return p;
    }
    return varintSize(tag(field, 2)) + varintSize(p) + p;
  }

  private long savedSliceLength() throws IOException {
    long tp = tensorProtoLength();
    return 1 + varintSize(nameBytes.length) + nameBytes.length
        + 1 + varintSize(sliceBytes.length) + sliceBytes.length
        + 1 + varintSize(tp) + tp;
  }

  /** TF's serialization limit ({@code TensorSliceWriter::kMaxMessageBytes}): protobuf parses no larger message. */
  static final long MAX_MESSAGE_BYTES = 1L << 31;
  /** The slack TF adds for the TensorProto's framing ({@code kTensorProtoHeaderBytes}). */
  private static final long TENSOR_PROTO_HEADER_BYTES = 1 << 10;

  /** {@code TensorSliceWriter::MaxBytesPerElementOrZero}: the longest encoding of one element. */
  private static long maxBytesPerElement(DType dtype) {
    switch (dtype) {
      case FLOAT: return 4;
      case DOUBLE: return 8;
      case COMPLEX64: return 8;
      case COMPLEX128: return 16;
      case BOOL: return 1;
      case UINT8: case QUINT8: return 2;
      case UINT16: case HALF: return 3;
      case STRING: return 10; // a varint length (TF uses int32's bound) plus the bytes, added separately
      default: return 10; // int8/16/32/64, qint8/32: sign-extended varints
    }
  }

  /**
   * TF's conservative bound on the serialized slice ({@code TensorSliceWriter::SaveData}): name and slice fields,
   * 1 KiB of slack, the largest encoding of every element and, for strings, their bytes. Reads string lengths once.
   */
  long tensorFlowSizeEstimate() {
    long n = data.shape().numElements();
    long bound = 1 + varintSize(nameBytes.length) + nameBytes.length + 1 + varintSize(sliceBytes.length)
        + sliceBytes.length + TENSOR_PROTO_HEADER_BYTES;
    long perElement = maxBytesPerElement(dtype);
    bound = n > (Long.MAX_VALUE - bound) / perElement ? Long.MAX_VALUE : bound + n * perElement;
    if (dtype == DType.STRING && bound <= MAX_MESSAGE_BYTES) {
      try {
        payloadLength();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      bound += stringBytes;
    }
    return bound;
  }

  /**
   * Refuses a slice TF's writer refuses ("Tensor slice is too large to serialize"): TF could not read it back
   * either, as protobuf parses no message of 2 GiB or more.
   */
  void checkTensorFlowSizeLimit() {
    long estimate = tensorFlowSizeEstimate();
    if (estimate > MAX_MESSAGE_BYTES) {
      throw new io.tfgw.core.UnsupportedInputException("Tensor '" + name + "' (" + dtype + data.shape() + ") is too "
          + "large for a V1 checkpoint: TensorFlow's V1 writer refuses a slice whose serialized size may exceed 2 GiB "
          + "(its estimate here: " + (estimate == Long.MAX_VALUE ? "more than 2^63" : Long.toString(estimate))
          + " bytes), and no V1 reader can parse one. Convert to V2 instead (--to v2), or save the variable "
          + "partitioned into smaller slices.");
    }
  }

  /** Length of the serialized SavedTensorSlices. */
  long length() {
    try {
      long ss = savedSliceLength();
      return 1 + varintSize(ss) + ss;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long tag(int fieldNumber, int wire) {
    return ((long) fieldNumber << 3) | wire;
  }

  private static void writeVarint(OutputStream out, long v) throws IOException {
    byte[] b = new byte[10];
    out.write(b, 0, Varint.write(b, 0, v));
  }

  /** Writes the serialized SavedTensorSlices, copying values through {@code buf} (any size). */
  void writeTo(OutputStream out, byte[] buf, TensorCopier copier) throws IOException {
    long ss = savedSliceLength();
    writeVarint(out, tag(2, 2));
    writeVarint(out, ss);
    writeVarint(out, tag(1, 2));
    writeVarint(out, nameBytes.length);
    out.write(nameBytes);
    writeVarint(out, tag(2, 2));
    writeVarint(out, sliceBytes.length);
    out.write(sliceBytes);
    writeVarint(out, tag(3, 2));
    writeVarint(out, tensorProtoLength());
    long n = data.shape().numElements();
    if (n == 0) {
      return;
    }
    if (fixedWire()) {
      // packed fixed-size values are the canonical bytes as they are: copied through the copier's buffer
      writeVarint(out, tag(field, 2));
      writeVarint(out, payloadLength());
      long copied = copier.copy(data, out, null);
      if (copied != payloadLength()) {
        throw new CorruptInputException("Tensor '" + name + "' gave " + copied + " bytes; " + dtype + data.shape()
            + " needs " + payloadLength());
      }
      return;
    }
    // varints and strings are parsed in small reads, buffered
    try (InputStream in = fixedWire() ? data.open()
        : new BufferedInputStream(data.open(), 1 << 16)) {
      if (dtype == DType.STRING) {
        for (long i = 0; i < n; i++) {
          long len = CanonicalStrings.readLength(in, name);
          writeVarint(out, tag(field, 2));
          writeVarint(out, len);
          long left = len;
          while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
              throw new CorruptInputException("Tensor '" + name + "' changed between two reads");
            }
            out.write(buf, 0, r);
            left -= r;
          }
        }
        return;
      }
      writeVarint(out, tag(field, 2));
      writeVarint(out, payloadLength());
      if (fixedWire()) {
        long left = payloadLength();
        while (left > 0) {
          int r = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (r < 0) {
            throw new CorruptInputException("Tensor '" + name + "' has fewer elements than its shape");
          }
          out.write(buf, 0, r);
          left -= r;
        }
        return;
      }
      byte[] e = new byte[dtype.elementSize()];
      byte[] vb = new byte[10];
      for (long i = 0; i < n; i++) {
        if (CanonicalStrings.readFully(in, e, 0, e.length) != e.length) {
          throw new CorruptInputException("Tensor '" + name + "' changed between two reads");
        }
        out.write(vb, 0, Varint.write(vb, 0, elementValue(e, 0)));
      }
    }
  }
}
