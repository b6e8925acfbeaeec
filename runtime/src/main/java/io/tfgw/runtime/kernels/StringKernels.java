package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * The string ops lookup tables lean on: StringToNumber (TF's number syntax), AsString of integers and booleans, and
 * StringToHashBucketFast (FarmHash Fingerprint64 modulo the bucket count), which StaticVocabularyTable uses for
 * out-of-vocabulary keys.
 */
final class StringKernels {
  private StringKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("StringToNumber", StringKernels::stringToNumber);
    r.accept("StringToHashBucketFast", ctx -> {
      Tensor in = ctx.input(0);
      long buckets = ctx.attrInt("num_buckets");
      if (buckets <= 0) {
        throw new KernelException("num_buckets must be positive, got " + buckets);
      }
      byte[][] s = in.strings();
      long[] out = new long[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = Long.remainderUnsigned(Farmhash.fingerprint64(s[i]), buckets);
      }
      ctx.output(0, Tensor.of(DType.INT64, in.shape(), out));
    });
    r.accept("AsString", ctx -> {
      Tensor in = ctx.input(0);
      if (ctx.attrInt("width", -1) > -1 || !ctx.attrString("fill", "").isEmpty()) {
        throw new KernelException("AsString with width or fill is not supported by the tfgw runtime");
      }
      byte[][] out = new byte[in.size()][];
      for (int i = 0; i < out.length; i++) {
        String text = switch (in.dtype()) {
          case INT8, INT16, INT32, INT64 -> Long.toString(in.getLong(i));
          case BOOL -> in.bools()[i] ? "true" : "false";
          default -> throw new KernelException("AsString of " + in.dtype().pythonName() + " is not supported by the "
              + "tfgw runtime (signed integers and booleans are)");
        };
        out[i] = text.getBytes(StandardCharsets.US_ASCII);
      }
      ctx.output(0, Tensor.of(DType.STRING, in.shape(), out));
    });
  }

  private static void stringToNumber(io.tfgw.runtime.OpContext ctx) {
    Tensor in = ctx.input(0);
    DType out = ctx.attrType("out_type", DType.FLOAT);
    int n = in.size();
    Object values = Tensor.allocate(out, n);
    for (int i = 0; i < n; i++) {
      String text = new String(in.strings()[i], StandardCharsets.ISO_8859_1);
      Object v = switch (out) {
        case FLOAT -> TfNumbers.parseFloat(text);
        case DOUBLE -> TfNumbers.parseDouble(text);
        case INT32 -> TfNumbers.parseInt32(text);
        case INT64 -> TfNumbers.parseInt64(text);
        default -> throw new KernelException("StringToNumber to " + out.pythonName() + " is not supported");
      };
      if (v == null) {
        throw new KernelException("StringToNumberOp could not correctly convert string: " + text);
      }
      switch (out) {
        case FLOAT -> ((float[]) values)[i] = (Float) v;
        case DOUBLE -> ((double[]) values)[i] = (Double) v;
        case INT32 -> ((int[]) values)[i] = (Integer) v;
        default -> ((long[]) values)[i] = (Long) v;
      }
    }
    ctx.output(0, Tensor.of(out, in.shape(), values));
  }
}
