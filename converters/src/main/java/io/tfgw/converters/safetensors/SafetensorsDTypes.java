package io.tfgw.converters.safetensors;

import io.tfgw.core.tensor.DType;
import java.util.Map;

/** safetensors dtype names (the {@code Dtype} enum of the safetensors crate) and TensorFlow's dtypes. */
final class SafetensorsDTypes {
  private static final Map<String, DType> BY_NAME = Map.ofEntries(
      Map.entry("BOOL", DType.BOOL), Map.entry("U8", DType.UINT8), Map.entry("I8", DType.INT8),
      Map.entry("I16", DType.INT16), Map.entry("U16", DType.UINT16), Map.entry("F16", DType.HALF),
      Map.entry("BF16", DType.BFLOAT16), Map.entry("I32", DType.INT32), Map.entry("U32", DType.UINT32),
      Map.entry("F32", DType.FLOAT), Map.entry("F64", DType.DOUBLE), Map.entry("I64", DType.INT64),
      Map.entry("U64", DType.UINT64), Map.entry("F8_E5M2", DType.FLOAT8_E5M2),
      Map.entry("F8_E4M3", DType.FLOAT8_E4M3FN), Map.entry("C64", DType.COMPLEX64));

  private SafetensorsDTypes() {}

  /** The dtype for a safetensors name, or null when TensorFlow has none (F4, F6_*, F8_E8M0, ...). */
  static DType fromName(String name) {
    return BY_NAME.get(name);
  }

  /** The safetensors name of a dtype, or null when safetensors cannot hold it (string, complex128, quantized). */
  static String nameOf(DType dtype) {
    for (Map.Entry<String, DType> e : BY_NAME.entrySet()) {
      if (e.getValue() == dtype) {
        return e.getKey();
      }
    }
    return null;
  }
}
