package io.tfgw.converters.keras;

final class Recurrent {
  private final KerasGraphBuilder.Layer layer;

  Recurrent(KerasGraphBuilder builder, KerasGraphBuilder.Layer layer) {
    this.layer = layer;
  }

  KerasGraphBuilder.KTensor build() {
    throw layer.fail("is recurrent; not supported yet");
  }
}
