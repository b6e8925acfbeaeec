package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.onnx.TensorProto;

/** TensorFlow dtypes as ONNX element types ({@code TensorProto.DataType}), and the opset/IR pairing. */
public final class OnnxTypes {
  /** The opsets tfgw writes: 13 is the first with Squeeze/Unsqueeze/ReduceSum axes as inputs and single-axis
   * Softmax (TF's semantics); 22 is the newest ONNX Runtime 1.22 runs. */
  public static final int MIN_OPSET = 13;
  public static final int MAX_OPSET = 22;
  public static final int DEFAULT_OPSET = 17;

  private OnnxTypes() {}

  /** The ONNX element type of a TensorFlow dtype; quantized, resource and variant tensors have none. */
  public static int elemType(DType t) {
    return switch (t) {
      case FLOAT -> TensorProto.DataType.FLOAT_VALUE;
      case DOUBLE -> TensorProto.DataType.DOUBLE_VALUE;
      case INT32 -> TensorProto.DataType.INT32_VALUE;
      case INT64 -> TensorProto.DataType.INT64_VALUE;
      case INT16 -> TensorProto.DataType.INT16_VALUE;
      case INT8 -> TensorProto.DataType.INT8_VALUE;
      case UINT8 -> TensorProto.DataType.UINT8_VALUE;
      case UINT16 -> TensorProto.DataType.UINT16_VALUE;
      case UINT32 -> TensorProto.DataType.UINT32_VALUE;
      case UINT64 -> TensorProto.DataType.UINT64_VALUE;
      case BOOL -> TensorProto.DataType.BOOL_VALUE;
      case HALF -> TensorProto.DataType.FLOAT16_VALUE;
      case BFLOAT16 -> TensorProto.DataType.BFLOAT16_VALUE;
      case STRING -> TensorProto.DataType.STRING_VALUE;
      case COMPLEX64 -> TensorProto.DataType.COMPLEX64_VALUE;
      case COMPLEX128 -> TensorProto.DataType.COMPLEX128_VALUE;
      default -> throw new UnsupportedInputException("ONNX has no element type for TensorFlow dtype " + t);
    };
  }

  /** The TensorFlow dtype of an ONNX element type (for the reader). */
  public static DType dtype(int elemType) {
    for (DType t : DType.values()) {
      try {
        if (elemType(t) == elemType) {
          return t;
        }
      } catch (UnsupportedInputException ignored) {
        // no ONNX counterpart
      }
    }
    throw new UnsupportedInputException("ONNX element type " + elemType + " has no TensorFlow dtype");
  }

  /**
   * The IR version that goes with an opset: the lowest that defines it, so the file loads in the oldest runtime
   * that knows the opset (IR 7 for opsets 12-14, 8 for 15-18, 9 for 19-20, 10 for 21-22).
   */
  public static int irVersion(int opset) {
    if (opset <= 14) {
      return 7;
    }
    if (opset <= 18) {
      return 8;
    }
    return opset <= 20 ? 9 : 10;
  }
}
