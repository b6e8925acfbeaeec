package io.tfgw.converters.onnx;

import io.tfgw.converters.graph.TensorRef;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.NodeDef;
import io.tfgw.runtime.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TF1's atrous convolutions ({@code tf.nn.atrous_conv2d}, {@code with_space_to_batch}) as ONNX's dilated Conv:
 * {@code BatchToSpaceND(conv(SpaceToBatchND(x, block, paddings)), block, crops)} with a VALID, stride-1 Conv2D or
 * DepthwiseConv2dNative is one convolution of x with dilations = block and explicit padding paddings - crops:
 * output pixel r of the reassembled result reads padded input pixels r + u * block, which is the dilated
 * convolution's window, and cropping the output crops the padding. Folded where every parameter is constant, the
 * intermediate tensors have no other reader, and the crops do not exceed the paddings; otherwise the general
 * space/batch mappings apply.
 */
final class AtrousConvolutions {
  private AtrousConvolutions() {}

  /**
   * Replaces each foldable BatchToSpaceND in {@code nodes} (by name) with the dilated convolution under its name;
   * {@code kept} are tensors that must stay computable (the exported outputs and fed inputs).
   */
  static void fold(Map<String, NodeDef> nodes, Set<String> kept) {
    Map<String, Integer> readers = new HashMap<>();
    for (NodeDef n : nodes.values()) {
      for (String in : n.getInputList()) {
        TensorRef r = TensorRef.parse(in);
        if (!r.control()) {
          readers.merge(r.tensorName(), 1, Integer::sum);
        }
      }
    }
    for (NodeDef b2s : List.copyOf(nodes.values())) {
      if (!b2s.getOp().equals("BatchToSpaceND")) {
        continue;
      }
      NodeDef conv = producer(nodes, b2s.getInput(0));
      if (conv == null || !(conv.getOp().equals("Conv2D") || conv.getOp().equals("DepthwiseConv2dNative"))
          || !single(readers, kept, conv.getName())) {
        continue;
      }
      NodeDef s2b = producer(nodes, conv.getInput(0));
      if (s2b == null || !s2b.getOp().equals("SpaceToBatchND") || !single(readers, kept, s2b.getName())) {
        continue;
      }
      long[] block = constant(nodes, s2b.getInput(1));
      long[] blockBack = constant(nodes, b2s.getInput(1));
      long[] pads = constant(nodes, s2b.getInput(2));
      long[] crops = constant(nodes, b2s.getInput(2));
      if (block == null || blockBack == null || pads == null || crops == null || block.length != 2
          || !java.util.Arrays.equals(block, blockBack) || !plainValid(conv)) {
        continue;
      }
      long[] explicit = new long[8];
      boolean fits = true;
      for (int i = 0; i < 4; i++) {
        explicit[2 + i] = pads[i] - crops[i];
        fits &= explicit[2 + i] >= 0;
      }
      if (!fits) {
        continue;
      }
      NodeDef.Builder dilated = conv.toBuilder().setName(b2s.getName()).setInput(0, s2b.getInput(0))
          .removeAttr("_output_shapes")
          .putAttr("dilations", ints(1, block[0], block[1], 1))
          .putAttr("padding", AttrValue.newBuilder().setS(com.google.protobuf.ByteString.copyFromUtf8("EXPLICIT"))
              .build())
          .putAttr("explicit_paddings", ints(explicit));
      nodes.put(b2s.getName(), dilated.build());
    }
  }

  private static NodeDef producer(Map<String, NodeDef> nodes, String input) {
    TensorRef r = TensorRef.parse(input);
    return r.control() || r.index() != 0 ? null : nodes.get(r.node());
  }

  /** Whether the node's output 0 has exactly one reader and is not kept. */
  private static boolean single(Map<String, Integer> readers, Set<String> kept, String node) {
    return readers.getOrDefault(node + ":0", 0) == 1 && !kept.contains(node + ":0") && !kept.contains(node);
  }

  /** NHWC, VALID, strides and dilations 1: the convolution with_space_to_batch runs on each sub-image. */
  private static boolean plainValid(NodeDef conv) {
    Map<String, AttrValue> a = conv.getAttrMap();
    String format = a.containsKey("data_format") ? a.get("data_format").getS().toStringUtf8() : "NHWC";
    String padding = a.containsKey("padding") ? a.get("padding").getS().toStringUtf8() : "";
    return format.equals("NHWC") && padding.equals("VALID") && allOnes(a.get("strides"))
        && allOnes(a.get("dilations"));
  }

  private static boolean allOnes(AttrValue v) {
    return v == null || v.getList().getIList().stream().allMatch(x -> x == 1);
  }

  private static long[] constant(Map<String, NodeDef> nodes, String input) {
    NodeDef n = producer(nodes, input);
    if (n == null || !n.getOp().equals("Const") || !n.containsAttr("value")) {
      return null;
    }
    return Tensor.fromData(TensorProtos.toTensorData(n.getAttrOrThrow("value").getTensor(), "constant "
        + n.getName())).toLongs();
  }

  private static AttrValue ints(long... v) {
    AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
    for (long x : v) {
      l.addI(x);
    }
    return AttrValue.newBuilder().setList(l).build();
  }
}
