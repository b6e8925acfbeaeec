package io.tfgw.converters.onnx;

/** How one TF op becomes ONNX nodes: reads the node through the context and binds each of its outputs. */
@FunctionalInterface
interface OpMapping {
  void map(MapContext c);
}
