package io.tfgw.runtime.kernels;

import io.tfgw.runtime.OpKernel;
import java.util.function.BiConsumer;

/** Registers every kernel of the runtime. */
public final class Kernels {
  private Kernels() {}

  public static void registerAll(BiConsumer<String, OpKernel> registry) {
    ArrayKernels.register(registry);
    MathKernels.register(registry);
    ReductionKernels.register(registry);
    NnKernels.register(registry);
    StateKernels.register(registry);
    FunctionKernels.register(registry);
    TensorArrayKernels.register(registry);
    TensorListKernels.register(registry);
    SegmentKernels.register(registry);
    ImageKernels.register(registry);
    LookupKernels.register(registry);
    FileKernels.register(registry);
    StringKernels.register(registry);
    RandomKernels.register(registry);
  }
}
