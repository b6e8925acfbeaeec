package io.tfgw.runtime;

import io.tfgw.core.TfgwException;
import io.tfgw.runtime.kernels.Epilogue;

/**
 * The kernel of the last node of a fused chain MatMul/Conv2D → BiasAdd [→ activation] (see {@link ChainFusion}):
 * its inputs are the producer's two and the bias. It runs the producer's own kernel, offering it the chain's
 * {@link Epilogue}; a producer that cannot apply it (another dtype, NCHW, a bias of the wrong length) leaves it, and
 * then BiasAdd and the activation run as their own kernels, so every result, error message included, is the
 * unfused graph's.
 */
final class FusedKernel implements OpKernel {
  private final Node producer;
  private final Node biasAdd;
  /** Null when the chain ends at the BiasAdd. */
  private final Node activation;

  FusedKernel(Node producer, Node biasAdd, Node activation) {
    this.producer = producer;
    this.biasAdd = biasAdd;
    this.activation = activation;
  }

  @Override
  public void compute(OpContext ctx) {
    Object[] in = ctx.rawInputs();
    Tensor bias = ctx.input(2);
    OpContext product = run(producer, new Object[] {in[0], in[1]}, ctx,
        Epilogue.of(bias, activation == null ? null : activation.op));
    Object out = product.outputsForExecutor()[0];
    if (!product.isEpilogueApplied()) {
      out = run(biasAdd, new Object[] {out, in[2]}, ctx, null).outputsForExecutor()[0];
      if (activation != null) {
        out = run(activation, new Object[] {out}, ctx, null).outputsForExecutor()[0];
      }
    }
    ctx.outputRaw(0, out);
  }

  /** One op of the chain in a context of its own node (its attributes, its name in errors). */
  private static OpContext run(Node node, Object[] inputs, OpContext chain, Epilogue epilogue) {
    OpContext ctx = new OpContext(node, inputs, chain.session(), chain.isNondeterministic());
    ctx.offerEpilogue(epilogue);
    try {
      // the registry's kernel: the chain's last node carries this fused kernel in place of its own
      OpRegistry.kernel(node.op).compute(ctx);
    } catch (KernelException e) {
      throw new OpFailedException(node.name, node.op, e.getMessage());
    } catch (TfgwException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalStateException("node '" + node.name + "' (" + node.op + ") failed: " + e, e);
    }
    if (ctx.isNondeterministic()) {
      chain.markNondeterministic();
    }
    return ctx;
  }
}
