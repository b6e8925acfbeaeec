package io.tfgw.converters.onnx.read;

import static io.tfgw.converters.onnx.read.TfGraphBuilder.i;
import static io.tfgw.converters.onnx.read.TfGraphBuilder.type;

import io.tfgw.converters.onnx.read.TfGraphBuilder.Value;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.NodeDef;
import io.tfgw.runtime.Tensor;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * ONNX sequence ops as TF TensorList ops: a sequence is a TensorList (a VARIANT value whose {@link Value} knows its
 * element type), so sequences flow through Loop bodies as While loop variables and TF runs what tfgw writes. The
 * element shape is left unknown (TF's -1): every element is a real tensor, never a placeholder of a reserved list.
 *
 * <p>TF has no op that inserts or erases in the middle of a list. {@code SequenceErase} followed by
 * {@code SequenceInsert} at the same position (how tfgw's exporter writes {@code TensorListSetItem}) becomes one
 * {@code TensorListSetItem}; other positional inserts and erases stack the list (elements of one shape, as a
 * TensorList stack needs), cut the stacked tensor and split it back. Appends and removals at the end are
 * {@code TensorListPushBack}/{@code PopBack}.
 */
final class SequenceOps {
  private SequenceOps() {}

  static final Set<String> SUPPORTED = Set.of("SequenceEmpty", "SequenceConstruct", "SequenceAt", "SequenceInsert",
      "SequenceErase", "SequenceLength", "SplitToSequence", "ConcatFromSequence");

  /** An erase at a position: the list before it and the position's ONNX name, to fuse a following insert. */
  private record Erase(Value list, String position) {}

  /**
   * Erases per graph being built, by the reference of their result. Keyed weakly by builder, as each Loop/If body
   * has a builder of its own that lives only while it is mapped.
   */
  private static final Map<TfGraphBuilder, Map<String, Erase>> ERASES =
      Collections.synchronizedMap(new WeakHashMap<>());

  static List<Value> map(NodeContext c) {
    return switch (c.node.getOpType()) {
      case "SequenceEmpty" -> List.of(empty(c, OnnxFile.dtype((int) c.attrInt("dtype", 1), c.where()
          + " attribute dtype")));
      case "SequenceConstruct" -> {
        Value first = c.in(0);
        Value list = empty(c, first.dtype());
        for (int k = 0; k < c.inputs(); k++) {
          list = pushBack(c, list, c.in(k));
        }
        yield List.of(list);
      }
      case "SequenceAt" -> {
        Value list = sequence(c, 0);
        yield List.of(new Value(c.add(c.nd("TensorListGetItem", list.ref(), position(c, list, 1),
            c.g.constant(c.base() + "/element_shape", Tensor.scalar(-1)))
            .putAttr("element_dtype", type(list.elementType()))), list.elementType(), -1));
      }
      case "SequenceLength" -> List.of(new Value(c.cast(length(c, sequence(c, 0)), DType.INT32, DType.INT64),
          DType.INT64, 0));
      case "SequenceInsert" -> List.of(insert(c));
      case "SequenceErase" -> List.of(erase(c));
      case "SplitToSequence" -> List.of(splitToSequence(c));
      case "ConcatFromSequence" -> List.of(concatFromSequence(c));
      default -> throw c.unsupported("not a sequence op");
    };
  }

  private static Value sequence(NodeContext c, int i) {
    Value v = c.in(i);
    if (v.dtype() != DType.VARIANT || v.elementType() == null) {
      throw c.unsupported("input " + i + " ('" + c.node.getInput(i) + "') is not a sequence tfgw could follow");
    }
    return v;
  }

  private static Value list(String ref, DType elementType) {
    return new Value(ref, DType.VARIANT, 0, elementType);
  }

  private static Value empty(NodeContext c, DType elementType) {
    return list(c.add(c.nd("EmptyTensorList", c.g.constant(c.base() + "/element_shape", Tensor.scalar(-1)),
        c.g.constant(c.base() + "/max_num_elements", Tensor.scalar(-1)))
        .putAttr("element_dtype", type(elementType)).putAttr("shape_type", type(DType.INT32))), elementType);
  }

  private static Value pushBack(NodeContext c, Value list, Value item) {
    requireElementType(c, list, item);
    return list(c.add(c.nd("TensorListPushBack", list.ref(), item.ref())
        .putAttr("element_dtype", type(list.elementType()))), list.elementType());
  }

  private static void requireElementType(NodeContext c, Value list, Value item) {
    if (item.dtype() != list.elementType()) {
      throw new io.tfgw.core.CorruptInputException(c.where() + ": a " + item.dtype() + " tensor put into a sequence "
          + "of " + list.elementType());
    }
  }

  private static String length(NodeContext c, Value list) {
    return c.add(c.nd("TensorListLength", list.ref()));
  }

  /** ONNX's position input as TF's int32 index: a scalar, negative positions counted from the end. */
  private static String position(NodeContext c, Value list, int i) {
    Value p = c.in(i);
    String scalar = c.reshape(c.cast(p.ref(), p.dtype(), DType.INT32), DType.INT32, c.constInts(new int[0]),
        DType.INT32);
    String negative = c.add(c.nd("Less", scalar, c.scalar(DType.INT32, 0)).putAttr("T", type(DType.INT32)));
    String offset = c.op("Mul", DType.INT32, c.cast(negative, DType.BOOL, DType.INT32), length(c, list));
    return c.op("AddV2", DType.INT32, scalar, offset);
  }

  /**
   * The position, failing at run time unless it is in {@code [0, length + extra)}: looked up in that range with
   * Gather, which refuses an index out of range (slicing would quietly clamp it, as ONNX Runtime does not).
   */
  private static String checkedPosition(NodeContext c, Value list, int i, int extra) {
    String at = position(c, list, i);
    String end = c.op("AddV2", DType.INT32, length(c, list), c.scalar(DType.INT32, extra));
    String range = c.add(c.nd("Range", c.scalar(DType.INT32, 0), end, c.scalar(DType.INT32, 1))
        .putAttr("Tidx", type(DType.INT32)));
    return c.add(c.nd("GatherV2", range, at, c.scalar(DType.INT32, 0)).putAttr("Tparams", type(DType.INT32))
        .putAttr("Tindices", type(DType.INT32)).putAttr("Taxis", type(DType.INT32)).putAttr("batch_dims", i(0)));
  }

  private static Value insert(NodeContext c) {
    Value list = sequence(c, 0);
    Value item = c.in(1);
    requireElementType(c, list, item);
    if (!c.has(2)) {
      return pushBack(c, list, item);
    }
    Erase erase = ERASES.getOrDefault(c.g, Map.of()).get(list.ref());
    if (erase != null && erase.position().equals(c.node.getInput(2))) {
      // the position as it is: a negative one would erase counting from the end of the longer list and insert
      // counting from the end of the shorter one (not a replacement), which TF's SetItem refuses at run time
      Value p = c.in(2);
      String index = c.reshape(c.cast(p.ref(), p.dtype(), DType.INT32), DType.INT32, c.constInts(new int[0]),
          DType.INT32);
      return list(c.add(c.nd("TensorListSetItem", erase.list().ref(), index, item.ref())
          .putAttr("element_dtype", type(list.elementType()))), list.elementType());
    }
    // stack with the new item's shape, so inserting into an empty list works too
    String shape = c.add(c.nd("Shape", item.ref()).putAttr("T", type(item.dtype()))
        .putAttr("out_type", type(DType.INT32)));
    String stacked = stack(c, list, shape);
    String at = checkedPosition(c, list, 2, 1);
    String row = c.add(c.nd("ExpandDims", item.ref(), c.scalar(DType.INT32, 0)).putAttr("T", type(item.dtype()))
        .putAttr("Tdim", type(DType.INT32)));
    String joined = c.concat(item.dtype(), 0, rows(c, stacked, item.dtype(), null, at), row,
        rows(c, stacked, item.dtype(), at, null));
    return fromTensor(c, joined, list.elementType());
  }

  private static Value erase(NodeContext c) {
    Value list = sequence(c, 0);
    if (!c.has(1)) {
      return list(c.add(c.nd("TensorListPopBack", list.ref(), c.g.constant(c.base() + "/element_shape",
          Tensor.scalar(-1))).putAttr("element_dtype", type(list.elementType()))), list.elementType());
    }
    String stacked = stack(c, list, c.g.constant(c.base() + "/element_shape", Tensor.scalar(-1)));
    String at = checkedPosition(c, list, 1, 0);
    String after = c.op("AddV2", DType.INT32, at, c.scalar(DType.INT32, 1));
    String kept = c.concat(list.elementType(), 0, rows(c, stacked, list.elementType(), null, at),
        rows(c, stacked, list.elementType(), after, null));
    Value out = fromTensor(c, kept, list.elementType());
    ERASES.computeIfAbsent(c.g, k -> new java.util.HashMap<>()).put(out.ref(), new Erase(list, c.node.getInput(1)));
    return out;
  }

  private static String stack(NodeContext c, Value list, String elementShape) {
    return c.add(c.nd("TensorListStack", list.ref(), elementShape).putAttr("element_dtype", type(list.elementType()))
        .putAttr("num_elements", i(-1)));
  }

  /** {@code x[from:to]} along axis 0; null bounds are open. */
  private static String rows(NodeContext c, String x, DType t, String from, String to) {
    String zero = c.constInts(0);
    String begin = from == null ? zero : c.reshape(from, DType.INT32, c.constInts(1), DType.INT32);
    String end = to == null ? zero : c.reshape(to, DType.INT32, c.constInts(1), DType.INT32);
    NodeDef.Builder b = c.nd("StridedSlice", x, begin, end, c.constInts(1)).putAttr("T", type(t))
        .putAttr("Index", type(DType.INT32)).putAttr("begin_mask", i(from == null ? 1 : 0))
        .putAttr("end_mask", i(to == null ? 1 : 0)).putAttr("ellipsis_mask", i(0)).putAttr("new_axis_mask", i(0))
        .putAttr("shrink_axis_mask", i(0));
    return c.add(b);
  }

  private static Value fromTensor(NodeContext c, String tensor, DType elementType) {
    return list(c.add(c.nd("TensorListFromTensor", tensor, c.g.constant(c.base() + "/element_shape",
        Tensor.scalar(-1))).putAttr("element_dtype", type(elementType)).putAttr("shape_type", type(DType.INT32))),
        elementType);
  }

  private static Value splitToSequence(NodeContext c) {
    Value x = c.in(0);
    long axis = c.attrInt("axis", 0);
    if (axis < 0 && x.rank() >= 0) {
      axis += x.rank();
    }
    boolean keepdims = c.attrInt("keepdims", 1) != 0;
    if (c.has(1)) {
      if (axis != 0) {
        throw c.unsupported("a split along axis " + c.attrInt("axis", 0) + " (tfgw splits into sequences along "
            + "axis 0 only)");
      }
      Value split = c.in(1);
      String lengths;
      if (split.rank() == 0) {
        // chunks of `split` rows, the last one shorter: min(split, n - start) for each start in range(0, n, split)
        String n = c.add(c.nd("StridedSlice", c.shapeOf(x.ref(), x.dtype()), c.constLongs(0), c.constLongs(1),
            c.constLongs(1)).putAttr("T", type(DType.INT64)).putAttr("Index", type(DType.INT64))
            .putAttr("begin_mask", i(0)).putAttr("end_mask", i(0)).putAttr("ellipsis_mask", i(0))
            .putAttr("new_axis_mask", i(0)).putAttr("shrink_axis_mask", i(1)));
        String size = c.cast(split.ref(), split.dtype(), DType.INT64);
        String starts = c.add(c.nd("Range", c.g.constant(c.base() + "/start", Tensor.scalar(0L)), n, size)
            .putAttr("Tidx", type(DType.INT64)));
        lengths = c.op("Minimum", DType.INT64, c.op("Sub", DType.INT64, n, starts), size);
      } else if (split.rank() == 1) {
        lengths = c.cast(split.ref(), split.dtype(), DType.INT64);
      } else {
        throw c.unsupported("its split input is neither a scalar nor a vector of known rank");
      }
      return list(c.add(c.nd("TensorListSplit", x.ref(), c.g.constant(c.base() + "/element_shape",
          Tensor.scalar(-1)), lengths).putAttr("element_dtype", type(x.dtype()))
          .putAttr("shape_type", type(DType.INT32))), x.dtype());
    }
    String rows = x.ref();
    if (axis != 0) {
      if (x.rank() < 0 || axis >= x.rank()) {
        throw c.unsupported("a split along axis " + c.attrInt("axis", 0) + " of a tensor of unknown rank");
      }
      int[] perm = new int[x.rank()];
      perm[0] = (int) axis;
      for (int k = 0, j = 1; k < perm.length; k++) {
        if (k != axis) {
          perm[j++] = k;
        }
      }
      rows = c.transpose(rows, x.dtype(), perm);
    }
    if (keepdims) {
      // each element keeps the split axis with length 1
      rows = c.add(c.nd("ExpandDims", rows, c.scalar(DType.INT32, 1)).putAttr("T", type(x.dtype()))
          .putAttr("Tdim", type(DType.INT32)));
      if (axis != 0) {
        int[] perm = new int[x.rank() + 1];
        // rows are [n, 1, others...]: put the 1 back at the axis
        perm[0] = 0;
        for (int k = 0, j = 2; k < x.rank(); k++) {
          perm[k + 1] = k == axis ? 1 : j++;
        }
        rows = c.transpose(rows, x.dtype(), perm);
      }
    }
    return fromTensor(c, rows, x.dtype());
  }

  private static Value concatFromSequence(NodeContext c) {
    Value list = sequence(c, 0);
    long axis = c.attrInt("axis", 0);
    boolean newAxis = c.attrInt("new_axis", 0) != 0;
    if (axis != 0) {
      throw c.unsupported("concatenation along axis " + axis + " (tfgw concatenates sequences along axis 0 only)");
    }
    if (newAxis) {
      return new Value(stack(c, list, c.g.constant(c.base() + "/element_shape", Tensor.scalar(-1))),
          list.elementType(), -1);
    }
    String concat = c.add(c.nd("TensorListConcatV2", list.ref(), c.g.constant(c.base() + "/element_shape",
        Tensor.scalar(-1L)), c.g.constant(c.base() + "/leading_dims", Tensor.ofLongs(new long[] {0})))
        .putAttr("element_dtype", type(list.elementType())).putAttr("shape_type", type(DType.INT64)));
    return new Value(concat, list.elementType(), -1);
  }
}
