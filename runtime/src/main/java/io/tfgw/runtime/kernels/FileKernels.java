package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Ops that read files (ReadFile), through the session's {@link io.tfgw.runtime.GraphFiles}: a SavedModel's
 * init op reading an asset gets the asset from wherever the model is stored.
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
  }
}
