package io.tfgw.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tfgw.converters.inspect.ValueSummary;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.runtime.kernels.Casts;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorHashes;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensors as the CLI contract writes them in JSON: {@code {"dtype": "float32", "shape": [2, 3], "values": [...]}}
 * with row-major values, NaN and infinities as strings, and floats that parse back to the same bits.
 */
final class TensorJson {
  private static final ObjectMapper READER = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  private TensorJson() {}

  static JsonNode parse(byte[] json, String what) {
    try {
      return READER.readTree(json);
    } catch (IOException e) {
      throw new WrongInputException(what + " is not valid JSON: " + e.getMessage().split("\n")[0]);
    }
  }

  /**
   * A tensor from {@code {"dtype", "shape", "values"}} or a bare (nested) array or number; dtype and shape default
   * to the model's declaration of the input, then to float32 and the nesting of the values.
   */
  static Tensor parseTensor(String name, JsonNode node, TensorSpec spec) {
    JsonNode values = node;
    DType dtype = spec != null ? spec.dtype() : null;
    long[] shape = null;
    if (node.isObject()) {
      if (!node.has("values")) {
        throw new WrongInputException("Input '" + name + "' needs \"values\" (or {\"npy\": \"file.npy\"})");
      }
      values = node.get("values");
      if (node.has("dtype")) {
        try {
          dtype = DType.fromName(node.get("dtype").asText());
        } catch (IllegalArgumentException e) {
          throw new WrongInputException("Input '" + name + "': unknown dtype '" + node.get("dtype").asText() + "'");
        }
      }
      if (node.has("shape")) {
        JsonNode s = node.get("shape");
        shape = new long[s.size()];
        for (int i = 0; i < s.size(); i++) {
          shape[i] = s.get(i).asLong();
        }
      }
    }
    if (dtype == null) {
      dtype = DType.FLOAT;
    }
    List<JsonNode> flat = new ArrayList<>();
    long[] nested = flatten(values, flat, name);
    if (shape == null) {
      shape = nested;
    }
    Shape s = Shape.of(shape);
    if (s.numElements() != flat.size()) {
      throw new WrongInputException("Input '" + name + "': shape " + s + " needs " + s.numElements()
          + " values, got " + flat.size());
    }
    return build(name, dtype, s, flat);
  }

  /** Collects leaves in row-major order; returns the nesting's shape. */
  private static long[] flatten(JsonNode node, List<JsonNode> out, String name) {
    if (!node.isArray()) {
      out.add(node);
      return new long[0];
    }
    long[] inner = null;
    for (JsonNode child : node) {
      long[] s = flatten(child, out, name);
      if (inner == null) {
        inner = s;
      } else if (!java.util.Arrays.equals(inner, s)) {
        throw new WrongInputException("Input '" + name + "': nested lists of different lengths");
      }
    }
    long[] shape = new long[(inner == null ? 0 : inner.length) + 1];
    shape[0] = node.size();
    if (inner != null) {
      System.arraycopy(inner, 0, shape, 1, inner.length);
    }
    return shape;
  }

  private static Tensor build(String name, DType dtype, Shape shape, List<JsonNode> values) {
    int n = values.size();
    switch (dtype) {
      case FLOAT: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = Float.parseFloat(number(name, values.get(i)));
        }
        return Tensor.of(dtype, shape, v);
      }
      case DOUBLE: {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = Double.parseDouble(number(name, values.get(i)));
        }
        return Tensor.of(dtype, shape, v);
      }
      case BOOL: {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          JsonNode x = values.get(i);
          if (!x.isBoolean() && !x.isNumber()) {
            throw new WrongInputException("Input '" + name + "': expected true/false, got " + x);
          }
          v[i] = x.isBoolean() ? x.booleanValue() : x.asDouble() != 0;
        }
        return Tensor.of(dtype, shape, v);
      }
      case STRING: {
        byte[][] v = new byte[n][];
        for (int i = 0; i < n; i++) {
          v[i] = values.get(i).asText().getBytes(StandardCharsets.UTF_8);
        }
        return Tensor.of(dtype, shape, v);
      }
      case HALF: case BFLOAT16: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = Float.parseFloat(number(name, values.get(i)));
        }
        return Casts.cast(Tensor.of(DType.FLOAT, shape, v), dtype);
      }
      default: {
        if (!dtype.isFixedSize() || dtype.isFloating() || dtype.isComplex()) {
          throw new WrongInputException("Input '" + name + "': dtype " + dtype + " cannot be given in JSON");
        }
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          JsonNode x = values.get(i);
          if (!x.isIntegralNumber()) {
            throw new WrongInputException("Input '" + name + "': expected an integer for " + dtype + ", got " + x);
          }
          v[i] = x.bigIntegerValue().longValue();
        }
        return Casts.cast(Tensor.of(DType.INT64, shape, v), dtype);
      }
    }
  }

  private static String number(String name, JsonNode x) {
    if (x.isNumber()) {
      return x.isBigDecimal() ? x.decimalValue().toString() : x.asText();
    }
    if (x.isTextual()) {
      switch (x.asText()) {
        case "NaN": case "nan":
          return "NaN";
        case "Infinity": case "inf":
          return "Infinity";
        case "-Infinity": case "-inf":
          return "-Infinity";
        default:
          try {
            return new BigDecimal(x.asText()).toString();
          } catch (NumberFormatException e) {
            throw new WrongInputException("Input '" + name + "': '" + x.asText() + "' is not a number");
          }
      }
    }
    throw new WrongInputException("Input '" + name + "': expected a number, got " + x);
  }

  /** The contract's JSON of an output tensor: dtype, shape, row-major values, sha256. */
  static Map<String, Object> toJson(Tensor t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dtype", t.dtype().pythonName());
    m.put("shape", t.shape().asList());
    m.put("values", values(t));
    m.put("sha256", TensorHashes.sha256Hex(t.canonicalBytes()));
    return m;
  }

  static List<Object> values(Tensor t) {
    List<Object> out = new ArrayList<>(t.size());
    Object a = t.array();
    for (int i = 0; i < t.size(); i++) {
      switch (t.dtype()) {
        case FLOAT:
          out.add(JsonValues.number(((float[]) a)[i]));
          break;
        case DOUBLE:
          out.add(JsonValues.number(((double[]) a)[i]));
          break;
        case HALF:
          out.add(JsonValues.number(Casts.halfToFloat(((short[]) a)[i])));
          break;
        case BFLOAT16:
          out.add(JsonValues.number(Float.intBitsToFloat((((short[]) a)[i] & 0xffff) << 16)));
          break;
        case BOOL:
          out.add(((boolean[]) a)[i]);
          break;
        case STRING:
          out.add(ValueSummary.utf8(((byte[][]) a)[i]));
          break;
        case UINT8: case QUINT8:
          out.add(((byte[]) a)[i] & 0xff);
          break;
        case UINT16: case QUINT16:
          out.add(((short[]) a)[i] & 0xffff);
          break;
        case UINT32:
          out.add(((int[]) a)[i] & 0xffffffffL);
          break;
        case UINT64:
          out.add(new java.math.BigInteger(Long.toUnsignedString(((long[]) a)[i])));
          break;
        case RESOURCE: case VARIANT:
          out.add(String.valueOf(((Object[]) a)[i]));
          break;
        default:
          out.add(t.getLong(i));
      }
    }
    return out;
  }
}
