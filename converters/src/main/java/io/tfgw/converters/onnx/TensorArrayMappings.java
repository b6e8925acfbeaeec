package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.AttrValue;
import io.tfgw.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * TF1 TensorArrays as ONNX sequences. A TensorArray's state travels in its {@code flow} tensor (what loops carry and
 * what every read, write and gather takes), so the flow is mapped to the ONNX sequence of the array's elements and
 * the handle to the array's declared size (or, for a {@code dynamic_size} array, to its sequence too). This covers
 * dynamic_rnn's pattern: a Scatter of the input along its first axis before the loop, a Read per step, a Write per
 * step, and a Gather (stack) after the loop. A sequence value's meta shape is the shape of its elements.
 */
final class TensorArrayMappings {
  private TensorArrayMappings() {}

  static void register(Map<String, OpMapping> m) {
    m.put("TensorArrayV3", TensorArrayMappings::create);
    m.put("TensorArrayScatterV3", TensorArrayMappings::scatter);
    m.put("TensorArrayReadV3", c -> c.output(0, c.emit("SequenceAt", List.of(flow(c, 2), c.in(1)),
        c.attrType("dtype"), c.meta(2).shape())));
    m.put("TensorArrayWriteV3", TensorArrayMappings::write);
    m.put("TensorArrayGatherV3", TensorArrayMappings::gather);
    m.put("TensorArraySizeV3", TensorArrayMappings::size);
    m.put("TensorArrayConcatV3", TensorArrayMappings::concat);
  }

  private static String flow(MapContext c, int i) {
    if (!c.g.isSequence(c.in(i))) {
      throw new UnsupportedInputException("its flow input " + i + " (" + c.node.getInput(i) + ") does not come from a "
          + "TensorArray tfgw exported");
    }
    return c.in(i);
  }

  private static String sequence(MapContext c, String value) {
    c.g.markSequence(value);
    return value;
  }

  private static void create(MapContext c) {
    DType dtype = c.attrType("dtype");
    AttrValue es = c.attr("element_shape");
    long[] elem = es == null || es.getShape().getUnknownRank() ? null : es.getShape().getDimList().stream()
        .mapToLong(d -> d.getSize() < 0 ? -1 : d.getSize()).toArray();
    String empty = sequence(c, c.emit("SequenceEmpty", List.of(), dtype, elem,
        n -> n.attr("dtype", (long) OnnxTypes.elemType(dtype))));
    c.output(0, c.attrBool("dynamic_size", false) ? empty : c.in(0));
    c.output(1, empty);
  }

  /**
   * Scatter at indices 0..n-1 into a new array is splitting the value along its first axis (TF requires as many
   * indices as the value has rows); other indices, or scattering into an array already written, are refused.
   */
  private static void scatter(MapContext c) {
    if (!isProducedBy(c.g, c.in(3), "SequenceEmpty")) {
      throw new UnsupportedInputException("it scatters into a TensorArray that may already hold elements; tfgw "
          + "exports scatters into new arrays only");
    }
    if (!isIota(c, c.in(1))) {
      throw new UnsupportedInputException("its indices (" + c.node.getInput(1) + ") are not provably 0, 1, ..., n-1; "
          + "tfgw exports scatters that unstack a tensor along its first axis only");
    }
    long[] shape = c.shape(2);
    long[] elem = shape == null || shape.length == 0 ? null : Arrays.copyOfRange(shape, 1, shape.length);
    c.output(0, sequence(c, c.emit("SplitToSequence", List.of(c.in(2)), c.dtype(2), elem,
        n -> n.attr("axis", 0L).attr("keepdims", 0L))));
  }

  private static boolean isProducedBy(OnnxGraph g, String value, String op) {
    for (OnnxNode n : g.nodes) {
      if (n.outputs.contains(value)) {
        return n.op.equals(op);
      }
    }
    return false;
  }

  /** Whether value is 0, 1, ..., n-1: such a constant, or a Range from constant 0 by constant 1. */
  private static boolean isIota(MapContext c, String value) {
    ConstValue k = c.g.constants.get(value);
    if (k != null) {
      if (!k.isSmall() || k.dims().length != 1) {
        return false;
      }
      long[] v = k.materialize().toLongs();
      for (int i = 0; i < v.length; i++) {
        if (v[i] != i) {
          return false;
        }
      }
      return true;
    }
    for (OnnxNode n : c.g.nodes) {
      if (n.outputs.contains(value)) {
        return n.op.equals("Range") && isScalar(c.g, n.inputs.get(0), 0) && isScalar(c.g, n.inputs.get(2), 1);
      }
    }
    return false;
  }

  private static boolean isScalar(OnnxGraph g, String value, long want) {
    ConstValue k = g.constants.get(value);
    if (k == null || !k.isSmall()) {
      return false;
    }
    Tensor t = k.materialize();
    return t.size() == 1 && t.toLongs()[0] == want;
  }

  /**
   * SequenceInsert at the written index. TF writes each index of an array once; an insert at position i needs i to
   * be at most the sequence's length (ONNX Runtime fails otherwise), so every run that succeeds wrote 0, 1, 2, ...
   * in order, and the sequence then holds element i at position i exactly as the TensorArray does. A
   * {@code dynamic_size} array (whose handle is its sequence) is padded and its element replaced instead, so it may
   * be written in any order and past its end.
   */
  private static void write(MapContext c) {
    long[] elem = c.shape(2);
    long[] before = c.meta(3).shape();
    if (before != null && elem != null && before.length == elem.length) {
      for (int i = 0; i < elem.length; i++) {
        elem[i] = elem[i] == before[i] ? elem[i] : -1;
      }
    }
    if (c.g.isSequence(c.in(0))) {
      // a dynamic_size array may be written past its end (TF stacks the holes as zeros) or into such a hole: pad it
      // to index + 1 elements, then replace the element, as a growing TF2 TensorList is exported
      OnnxGraph.Meta m = new OnnxGraph.Meta(c.dtype(2), elem, true);
      String index = c.asInt64(1);
      String padded = TensorListMappings.grownTo(c, flow(c, 3), m, index, c.in(2), c.shape(2));
      String erased = sequence(c, c.emit("SequenceErase", List.of(padded, index), c.dtype(2), elem));
      c.output(0, sequence(c, c.emit("SequenceInsert", List.of(erased, c.in(2), index), c.dtype(2), elem)));
      return;
    }
    c.output(0, sequence(c, c.emit("SequenceInsert", List.of(flow(c, 3), c.in(2), c.in(1)), c.dtype(2), elem)));
  }

  /** The array stacked along a new first axis, then the requested rows (dynamic_rnn gathers 0..size-1). */
  private static void gather(MapContext c) {
    long[] elem = c.meta(2).shape();
    long[] stackedShape = elem == null ? null : prepend(-1, elem);
    String stacked = c.emit("ConcatFromSequence", List.of(flow(c, 2)), c.attrType("dtype"), stackedShape,
        n -> n.attr("axis", 0L).attr("new_axis", 1L));
    c.output(0, c.emit("Gather", List.of(stacked, c.in(1)), c.attrType("dtype"), stackedShape,
        n -> n.attr("axis", 0L)));
  }

  private static void size(MapContext c) {
    if (c.g.isSequence(c.in(0))) {
      // a dynamic_size array is as long as the elements written (see write: they are written in order)
      String length = c.emit("SequenceLength", List.of(flow(c, 1)), DType.INT64, new long[0]);
      c.output(0, c.cast(length, DType.INT32));
      return;
    }
    c.output(0, c.cast(c.in(0), DType.INT32)); // the handle stands for the declared size
  }

  private static void concat(MapContext c) {
    long[] elem = c.meta(1).shape();
    long[] shape = elem == null || elem.length == 0 ? null : elem.clone();
    if (shape != null) {
      shape[0] = -1;
    }
    c.output(0, c.emit("ConcatFromSequence", List.of(flow(c, 1)), c.attrType("dtype"), shape,
        n -> n.attr("axis", 0L).attr("new_axis", 0L)));
  }

  private static long[] prepend(long first, long[] rest) {
    long[] out = new long[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }
}
