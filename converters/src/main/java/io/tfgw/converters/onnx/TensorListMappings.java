package io.tfgw.converters.onnx;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * TF2's TensorList ops ({@code tf.TensorArray}, Keras RNNs' per-step inputs and outputs) as ONNX sequences. A list
 * is a sequence value whose {@link OnnxGraph.Meta} has the elements' type and shape; a list carried through a
 * {@code While} is a sequence carried through the {@code Loop} (opset 14 is the first whose Identity passes a
 * sequence, which subgraph outputs need).
 */
final class TensorListMappings {
  private TensorListMappings() {}

  static void register(Map<String, OpMapping> m) {
    m.put("TensorListReserve", TensorListMappings::reserve);
    m.put("TensorListFromTensor", TensorListMappings::fromTensor);
    m.put("TensorListSetItem", TensorListMappings::setItem);
    m.put("TensorListGetItem", TensorListMappings::getItem);
    m.put("TensorListStack", TensorListMappings::stack);
    m.put("TensorListLength", TensorListMappings::length);
    m.put("TensorListElementShape", TensorListMappings::elementShape);
    m.put("TensorListPushBack", TensorListMappings::pushBack);
  }

  private static void requireOpset(MapContext c) {
    if (c.opset < 14) {
      throw new UnsupportedInputException("TensorLists become ONNX sequences, which need --opset 14 or newer");
    }
  }

  private static String sequence(MapContext c, String op, List<String> ins, DType elementType, long[] elementShape,
      java.util.function.Consumer<OnnxNode> attrs) {
    String v = c.emit(op, ins, elementType, elementShape, attrs);
    c.g.meta.put(v, new OnnxGraph.Meta(elementType, elementShape, true));
    return v;
  }

  private static OnnxGraph.Meta list(MapContext c, int i) {
    OnnxGraph.Meta m = c.meta(i);
    if (!m.sequence()) {
      throw new UnsupportedInputException("its input " + i + " is not a TensorList tfgw could follow");
    }
    return m;
  }

  /** The element shape a list op declares (a constant; -1 for unknown dimensions, or null for unknown rank). */
  private static long[] declaredElementShape(MapContext c, int i) {
    Tensor t = c.constant(i);
    if (t == null) {
      return null;
    }
    long[] s = t.toLongs();
    return t.dims().length == 0 ? null : s; // a scalar -1 is TF's unknown rank
  }

  /**
   * A list of {@code num_elements} zeros of the declared element shape, as TF's reserved list reads (an element
   * never written stacks as zeros). A dimension TF does not know yet is 1 here: every such element is replaced by
   * the {@code TensorListSetItem} that writes it before TF could read it; with no rank declared the placeholders
   * are scalars.
   */
  private static void reserve(MapContext c) {
    requireOpset(c);
    DType dtype = c.attrType("element_dtype");
    OnnxTypes.elemType(dtype);
    long[] element = declaredElementShape(c, 0);
    String count = c.emit("Reshape", List.of(c.asInt64(1), c.int64s(1)), DType.INT64, new long[] {1});
    long[] known = element == null ? new long[0] : java.util.Arrays.stream(element).map(d -> d < 0 ? 1 : d).toArray();
    String shape = known.length == 0 ? count : c.emit("Concat", List.of(count, c.int64s(known)), DType.INT64,
        new long[] {known.length + 1}, n -> n.attr("axis", 0L));
    long[] flatShape = new long[known.length + 1];
    flatShape[0] = -1;
    System.arraycopy(known, 0, flatShape, 1, known.length);
    io.tfgw.proto.onnx.TensorProto zero = OnnxWriter.tensorProto("value", ConstValue.of(zeros(dtype)));
    String flat = c.emit("ConstantOfShape", List.of(shape), dtype, flatShape, n -> n.attrs.put("value",
        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(zero)
            .build()));
    c.output(0, sequence(c, "SplitToSequence", List.of(flat), dtype, element, n -> {
      n.attr("axis", 0L);
      n.attr("keepdims", 0L);
    }));
  }

  private static Tensor zeros(DType dtype) {
    return switch (dtype) {
      case FLOAT -> Tensor.ofFloats(new long[] {1}, 0f);
      case DOUBLE -> Tensor.ofDoubles(new long[] {1}, 0d);
      case INT32 -> Tensor.ofInts(new long[] {1}, 0);
      case INT64 -> Tensor.ofLongs(new long[] {1}, 0L);
      case BOOL -> Tensor.ofBools(new long[] {1}, false);
      default -> throw new UnsupportedInputException("a TensorList of " + dtype + " is not supported");
    };
  }

  private static void fromTensor(MapContext c) {
    requireOpset(c);
    long[] s = c.shape(0);
    long[] element = s == null || s.length == 0 ? null : java.util.Arrays.copyOfRange(s, 1, s.length);
    c.output(0, sequence(c, "SplitToSequence", List.of(c.in(0)), c.dtype(0), element, n -> {
      n.attr("axis", 0L);
      n.attr("keepdims", 0L);
    }));
  }

  /**
   * Replaces element {@code i}: erase it, insert the new one at {@code i}. A list that grows (a TensorArray with
   * {@code dynamic_size=True}: {@code resize_if_index_out_of_bounds}) is first padded to {@code i + 1} elements.
   */
  private static void setItem(MapContext c) {
    requireOpset(c);
    OnnxGraph.Meta m = list(c, 0);
    String index = c.asInt64(1);
    String list = c.attrBool("resize_if_index_out_of_bounds", false) ? grownTo(c, m, index) : c.in(0);
    String erased = sequence(c, "SequenceErase", List.of(list, index), m.dtype(), m.shape(), n -> { });
    c.output(0, sequence(c, "SequenceInsert", List.of(erased, c.in(2), index), m.dtype(), m.shape(), n -> { }));
  }

  /**
   * The list with zeros of the written element's shape appended until it has {@code index + 1} elements (none when
   * it has): TF resizes the list to {@code index + 1}, and an element it never writes stacks as zeros, so a write
   * past the end leaves zeros in the holes as TF's stack gives them. ONNX has no op that appends n elements, so a
   * Loop of {@code max(0, index + 1 - length)} iterations appends one each; padding (not refusing, which ONNX could
   * only do by failing some op at run time with an unrelated message) keeps every run TF accepts.
   */
  private static String grownTo(MapContext c, OnnxGraph.Meta m, String index) {
    return grownTo(c, c.in(0), m, index, c.in(2), c.shape(2));
  }

  /** {@code list} grown as above to {@code index + 1} elements with zeros of {@code item}'s shape. */
  static String grownTo(MapContext c, String list, OnnxGraph.Meta m, String index, String item, long[] itemShape) {
    String length = c.emit("SequenceLength", List.of(list), DType.INT64, new long[0]);
    String wanted = c.emit("Add", List.of(index, c.constant(Tensor.scalar(1L))), DType.INT64, new long[0]);
    String missing = c.emit("Sub", List.of(wanted, length), DType.INT64, new long[0]);
    String trips = c.emit("Max", List.of(missing, c.constant(Tensor.scalar(0L))), DType.INT64, new long[0]);
    String shape = c.emit("Shape", List.of(item), DType.INT64,
        new long[] {itemShape == null ? -1 : itemShape.length});
    io.tfgw.proto.onnx.TensorProto zero = OnnxWriter.tensorProto("value", ConstValue.of(zeros(m.dtype())));
    String zeros = c.emit("ConstantOfShape", List.of(shape), m.dtype(), itemShape, n -> n.attrs.put("value",
        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(zero)
            .build()));

    OnnxGraph body = c.g.subgraph();
    String iteration = body.fresh(c.name() + "/pad/iteration");
    body.meta.put(iteration, new OnnxGraph.Meta(DType.INT64, new long[0]));
    body.inputs.add(new OnnxGraph.Port(iteration, DType.INT64, new long[0], null));
    String condIn = body.fresh(c.name() + "/pad/cond_in");
    body.meta.put(condIn, new OnnxGraph.Meta(DType.BOOL, new long[0]));
    body.inputs.add(new OnnxGraph.Port(condIn, DType.BOOL, new long[0], null));
    String listIn = body.fresh(c.name() + "/pad/list_in");
    body.meta.put(listIn, new OnnxGraph.Meta(m.dtype(), m.shape(), true));
    body.inputs.add(new OnnxGraph.Port(listIn, m.dtype(), null, null));
    String appended = body.fresh(c.name() + "/pad/appended");
    body.meta.put(appended, new OnnxGraph.Meta(m.dtype(), m.shape(), true));
    body.add("SequenceInsert", body.fresh("node:" + c.name() + "/pad/SequenceInsert"), List.of(listIn, zeros),
        List.of(appended));
    // the trip count alone ends the loop (its condition input is empty, so the body's is not read)
    body.addSubgraphOutput(c.constant(Tensor.scalar(true)), c.name() + "/pad/cond_out", c.opset);
    body.addSubgraphOutput(appended, c.name() + "/pad/list_out", c.opset);

    String padded = c.g.fresh(c.name() + "/pad/Loop");
    c.g.meta.put(padded, new OnnxGraph.Meta(m.dtype(), m.shape(), true));
    c.g.add("Loop", c.g.fresh("node:" + c.name() + "/pad/Loop"), List.of(trips, "", list), List.of(padded))
        .attr("body", body);
    return padded;
  }

  private static void pushBack(MapContext c) {
    requireOpset(c);
    OnnxGraph.Meta m = list(c, 0);
    c.output(0, sequence(c, "SequenceInsert", List.of(c.in(0), c.in(1)), m.dtype(), m.shape(), n -> { }));
  }

  private static void getItem(MapContext c) {
    requireOpset(c);
    OnnxGraph.Meta m = list(c, 0);
    long[] shape = c.inputCount() > 2 ? declaredElementShape(c, 2) : null;
    c.output(0, c.emit("SequenceAt", List.of(c.in(0), c.asInt64(1)), m.dtype(), shape != null ? shape : m.shape()));
  }

  /** The elements stacked along a new first axis; a list with no elements is refused by ONNX Runtime. */
  private static void stack(MapContext c) {
    requireOpset(c);
    OnnxGraph.Meta m = list(c, 0);
    long[] element = declaredElementShape(c, 1);
    if (element == null) {
      element = m.shape();
    }
    long[] shape = null;
    if (element != null) {
      shape = new long[element.length + 1];
      shape[0] = c.attrInt("num_elements", -1);
      System.arraycopy(element, 0, shape, 1, element.length);
    }
    String stacked = c.emit("ConcatFromSequence", List.of(c.in(0)), m.dtype(), shape, n -> {
      n.attr("axis", 0L);
      n.attr("new_axis", 1L);
    });
    if (m.shape() == null && shape != null && java.util.Arrays.stream(shape).filter(d -> d < 0).count() <= 1) {
      // The list was reserved without an element rank, so ONNX's shape inference takes its elements for the
      // scalar placeholders; this Reshape (no change at run time) tells it the rank TF knows at the stack.
      stacked = c.emit("Reshape", List.of(stacked, c.int64s(shape)), m.dtype(), shape);
    }
    c.output(0, stacked);
  }

  private static void length(MapContext c) {
    requireOpset(c);
    list(c, 0);
    String n = c.emit("SequenceLength", List.of(c.in(0)), DType.INT64, new long[0]);
    c.output(0, c.cast(n, DType.INT32));
  }

  /** Known only when the list's element shape is known in full (ONNX has no shape of an empty sequence). */
  private static void elementShape(MapContext c) {
    OnnxGraph.Meta m = list(c, 0);
    long[] s = m.shape();
    if (s == null || java.util.Arrays.stream(s).anyMatch(d -> d < 0)) {
      throw new UnsupportedInputException("the list's element shape is not known statically");
    }
    DType type = c.attrType("shape_type");
    c.output(0, c.constant(type == DType.INT64 ? Tensor.ofLongs(new long[] {s.length}, s)
        : Tensor.ofInts(new long[] {s.length}, java.util.Arrays.stream(s).mapToInt(d -> (int) d).toArray())));
  }
}
