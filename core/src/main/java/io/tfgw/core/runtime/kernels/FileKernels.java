package io.tfgw.core.runtime.kernels;

import io.tfgw.core.runtime.KernelException;
import io.tfgw.core.runtime.OpKernel;
import io.tfgw.core.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Ops that read files (ReadFile) and turn text into numbers (StringToNumber, as TF parses it). Files are read
 * through the session's {@link io.tfgw.core.runtime.GraphFiles}: a SavedModel's init op reading an asset gets the
 * asset from wherever the model is stored.
 */
final class FileKernels {
  private FileKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    r.accept("ReadFile", ctx -> {
      Tensor name = ctx.input(0);
      if (name.dtype() != DType.STRING || name.rank() != 0) {
        throw new KernelException("Input filename tensor must be scalar, but had shape: " + name.shape());
      }
      String path = new String(name.strings()[0], StandardCharsets.UTF_8);
      ctx.output(0, Tensor.scalarString(ctx.session().files().read(path)));
    });
    r.accept("StringToNumber", ctx -> {
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
    });
  }
}
