package io.tfgw.converters.v1;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Streams the canonical bytes of one V1 slice out of its table value, a serialized
 * {@code SavedTensorSlices{data: SavedSlice{name, slice, data: TensorProto}}}, without parsing it into memory:
 * a VGG-sized tensor is a single value of hundreds of megabytes.
 *
 * <p>TF's TensorSliceWriter fills only the typed repeated field of the dtype ({@code float_val}, {@code int_val} for
 * int8/16 and uint8/16, {@code half_val} for float16, {@code scomplex_val}, {@code string_val}, ...), packed;
 * unpacked encodings and {@code tensor_content} are accepted too. The element count must match the slice.
 */
final class V1SliceDecoder extends InputStream implements ReadableByteChannel {
  private static final int TOP_DATA = 2; // SavedTensorSlices.data
  private static final int SLICE_DATA = 3; // SavedSlice.data
  private static final int TENSOR_CONTENT = 4;

  private final ProtoInput in;
  private final InputStream raw;
  private final DType dtype;
  private final long numElements;
  private final String what;
  private final int valueField;
  private final int elementSize;

  private long topEnd;
  private long sliceEnd;
  private long tensorEnd;
  private boolean started;
  private boolean done;

  // current region inside the TensorProto
  private long packedEnd = -1; // > 0 while inside a packed run
  private long passThroughLeft; // tensor_content bytes or a string's bytes still to copy
  private long elements;
  private long contentBytes;

  private final byte[] buffer = new byte[1 << 16];
  private int bufPos;
  private int bufLen;

  V1SliceDecoder(InputStream value, long valueLength, DType dtype, long numElements, String what) {
    this.raw = value;
    this.in = new ProtoInput(value, what);
    this.dtype = dtype;
    this.numElements = numElements;
    this.what = what;
    this.valueField = valueField(dtype, what);
    this.elementSize = dtype == DType.STRING ? -1 : dtype.elementSize();
    this.topEnd = valueLength;
  }

  static int valueField(DType dtype, String what) {
    switch (dtype) {
      case FLOAT:
        return 5;
      case DOUBLE:
        return 6;
      case INT32: case INT16: case INT8: case UINT8: case UINT16: case QINT8: case QUINT8: case QINT16: case QUINT16:
      case QINT32:
        return 7;
      case STRING:
        return 8;
      case COMPLEX64:
        return 9;
      case INT64:
        return 10;
      case BOOL:
        return 11;
      case COMPLEX128:
        return 12;
      case HALF: case BFLOAT16:
        return 13;
      case UINT32:
        return 16;
      case UINT64:
        return 17;
      default:
        throw new io.tfgw.core.UnsupportedInputException(what + ": V1 checkpoints cannot hold dtype " + dtype);
    }
  }

  /** Walks into SavedTensorSlices.data and then SavedSlice.data, skipping name and slice. */
  private void start() {
    started = true;
    sliceEnd = enter(TOP_DATA, topEnd, "SavedTensorSlices.data");
    tensorEnd = enter(SLICE_DATA, sliceEnd, "SavedSlice.data");
  }

  private long enter(int field, long limit, String name) {
    while (in.position() < limit) {
      long tag = in.readVarint();
      int f = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (f == field && wire == ProtoInput.LEN) {
        long len = in.readLength(limit);
        return in.position() + len;
      }
      in.skipField(wire, limit);
    }
    if (numElements == 0) {
      return in.position(); // an empty slice may omit everything
    }
    throw in.corrupt("no " + name + " field");
  }

  private CorruptInputException countMismatch(long got) {
    return new CorruptInputException(what + ": the value holds " + got + " elements but the slice has " + numElements);
  }

  /** Produces the next chunk of canonical bytes into the buffer; false at the end. */
  private boolean fill() {
    bufPos = 0;
    bufLen = 0;
    if (!started) {
      start();
    }
    while (bufLen == 0) {
      if (passThroughLeft > 0) {
        int n = in.readSome(buffer, 0, (int) Math.min(buffer.length, passThroughLeft));
        passThroughLeft -= n;
        bufLen = n;
        return true;
      }
      if (packedEnd >= 0) {
        if (in.position() < packedEnd) {
          decodePacked();
          continue;
        }
        if (in.position() > packedEnd) {
          throw in.corrupt("packed values overrun their field");
        }
        packedEnd = -1;
      }
      if (in.position() >= tensorEnd) {
        finish();
        return false;
      }
      long tag = in.readVarint();
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == TENSOR_CONTENT && wire == ProtoInput.LEN && dtype != DType.STRING) {
        long len = in.readLength(tensorEnd);
        contentBytes += len;
        passThroughLeft = len;
      } else if (field == valueField) {
        if (dtype == DType.STRING) {
          if (wire != ProtoInput.LEN) {
            throw in.corrupt("string_val with wire type " + wire);
          }
          long len = in.readLength(tensorEnd);
          elements++;
          for (int i = 0; i < 8; i++) {
            buffer[i] = (byte) (len >>> (8 * i));
          }
          bufLen = 8;
          passThroughLeft = len;
        } else if (wire == ProtoInput.LEN && isFixedWire()) {
          // packed little-endian floats/doubles are the canonical bytes as they are: passed through
          long len = in.readLength(tensorEnd);
          int unit = dtype == DType.FLOAT || dtype == DType.COMPLEX64 ? 4 : 8;
          if (len % unit != 0) {
            throw in.corrupt("packed " + unit + "-byte values of " + len + " bytes");
          }
          elements += len / unit; // complex: counted in halves, corrected in finish()
          passThroughLeft = len;
        } else if (wire == ProtoInput.LEN) {
          long len = in.readLength(tensorEnd);
          packedEnd = in.position() + len;
        } else {
          decodeOne(wire);
        }
      } else {
        in.skipField(wire, tensorEnd);
      }
    }
    return true;
  }

  private boolean isFixedWire() {
    return dtype == DType.FLOAT || dtype == DType.DOUBLE || dtype == DType.COMPLEX64 || dtype == DType.COMPLEX128;
  }

  /** Decodes packed varint elements into the buffer until it is nearly full or the run ends. */
  private void decodePacked() {
    while (in.position() < packedEnd && bufLen + 8 <= buffer.length) {
      putInteger(in.readVarint());
    }
  }

  private void decodeOne(int wire) {
    if (isFixedWire()) {
      int unit = dtype == DType.FLOAT || dtype == DType.COMPLEX64 ? 4 : 8;
      if ((unit == 4 && wire != ProtoInput.I32) || (unit == 8 && wire != ProtoInput.I64)) {
        throw in.corrupt("value with wire type " + wire);
      }
      in.readFully(buffer, bufLen, unit);
      bufLen += unit;
      elements++;
      return;
    }
    if (wire != ProtoInput.VARINT) {
      throw in.corrupt("value with wire type " + wire);
    }
    putInteger(in.readVarint());
  }

  private void putInteger(long v) {
    for (int i = 0; i < elementSize; i++) {
      buffer[bufLen++] = (byte) (v >>> (8 * i));
    }
    elements++;
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    if (in.position() != tensorEnd) {
      throw in.corrupt("TensorProto overruns its field");
    }
    long got = dtype.isComplex() ? elements / 2 : elements;
    if (contentBytes > 0) {
      if (got != 0 || contentBytes != numElements * elementSize) {
        throw new CorruptInputException(what + ": tensor_content holds " + contentBytes + " bytes for " + numElements
            + " elements of " + dtype);
      }
    } else if (got != numElements) {
      throw countMismatch(got);
    }
    in.drain(); // the rest of SavedSlice and SavedTensorSlices, so the block crc is verified
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (bufPos >= bufLen && !fill()) {
      return -1;
    }
    int n = Math.min(len, bufLen - bufPos);
    System.arraycopy(buffer, bufPos, b, off, n);
    bufPos += n;
    return n;
  }

  /**
   * As {@link #read(byte[], int, int)}; bytes that pass through unchanged (packed floats and doubles,
   * tensor_content) go from the table value straight into {@code dst}.
   */
  @Override
  public int read(ByteBuffer dst) {
    if (!dst.hasRemaining()) {
      return 0;
    }
    while (true) {
      if (bufPos < bufLen) {
        int n = Math.min(dst.remaining(), bufLen - bufPos);
        dst.put(buffer, bufPos, n);
        bufPos += n;
        return n;
      }
      if (started && passThroughLeft > 0) {
        int n = in.readSome(dst, passThroughLeft);
        passThroughLeft -= n;
        return n;
      }
      if (!fill()) {
        return -1;
      }
    }
  }

  @Override
  public boolean isOpen() {
    return !done;
  }

  @Override
  public void close() throws IOException {
    raw.close();
  }
}
