package io.tfgw.core.runtime;

import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.NameAttrList;
import io.tfgw.proto.TensorShapeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What a kernel sees of one execution of its node: inputs, attributes, outputs, and the session's state. */
public final class OpContext {
  static final Object DEAD = new Object() {
    @Override
    public String toString() {
      return "<dead>";
    }
  };

  private final Node node;
  private final Object[] inputs;
  private final Session session;
  private Object[] outputs = new Object[1];
  private int numOutputs;

  OpContext(Node node, Object[] inputs, Session session) {
    this.node = node;
    this.inputs = inputs;
    this.session = session;
  }

  public String nodeName() {
    return node.name;
  }

  public String op() {
    return node.op;
  }

  public Session session() {
    return session;
  }

  public int numInputs() {
    return inputs.length;
  }

  /** Input {@code i} as a tensor; a ref input (from a TF1 variable) gives the variable's value. */
  public Tensor input(int i) {
    Object v = inputs[i];
    if (v instanceof Tensor t) {
      return t;
    }
    if (v instanceof Variable var) {
      return session.valueOf(var);
    }
    throw new KernelException("input " + i + " has no value");
  }

  /** Inputs {@code from} (inclusive) to {@code to} (exclusive). */
  public List<Tensor> inputs(int from, int to) {
    List<Tensor> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(input(i));
    }
    return out;
  }

  /** Input {@code i} as the variable a ref edge carries (Assign and friends). */
  public Variable ref(int i) {
    if (inputs[i] instanceof Variable v) {
      return v;
    }
    throw new KernelException("input " + i + " must be a reference to a variable (VariableV2), got a value");
  }

  /** Whether input {@code i} is a reference to a variable. */
  public boolean isRef(int i) {
    return inputs[i] instanceof Variable;
  }

  /** The value of input {@code i} as it arrived (a tensor or a variable reference), to forward unchanged. */
  public Object rawInput(int i) {
    return inputs[i];
  }

  public void output(int i, Tensor t) {
    setOutput(i, t);
  }

  /** Forwards a variable reference (ref-typed outputs of Identity, Switch on refs). */
  public void outputRaw(int i, Object v) {
    setOutput(i, v);
  }

  /** Marks output {@code i} dead (the untaken side of a Switch). */
  public void outputDead(int i) {
    setOutput(i, DEAD);
  }

  private void setOutput(int i, Object v) {
    if (i >= outputs.length) {
      outputs = Arrays.copyOf(outputs, Math.max(i + 1, outputs.length * 2));
    }
    outputs[i] = v;
    numOutputs = Math.max(numOutputs, i + 1);
  }

  Object[] outputs() {
    return outputs;
  }

  int numOutputs() {
    return numOutputs;
  }

  // ---- attributes ----

  public boolean hasAttr(String name) {
    return node.attrs.containsKey(name);
  }

  public AttrValue attr(String name) {
    AttrValue v = node.attrs.get(name);
    if (v == null) {
      throw new KernelException("the node has no attribute '" + name + "'");
    }
    return v;
  }

  public DType attrType(String name) {
    return DType.fromNumber(attr(name).getTypeValue());
  }

  public DType attrType(String name, DType dflt) {
    return hasAttr(name) ? attrType(name) : dflt;
  }

  public long attrInt(String name) {
    return attr(name).getI();
  }

  public long attrInt(String name, long dflt) {
    return hasAttr(name) ? attrInt(name) : dflt;
  }

  public float attrFloat(String name, float dflt) {
    return hasAttr(name) ? attr(name).getF() : dflt;
  }

  public boolean attrBool(String name, boolean dflt) {
    return hasAttr(name) ? attr(name).getB() : dflt;
  }

  public String attrString(String name, String dflt) {
    return hasAttr(name) ? attr(name).getS().toStringUtf8() : dflt;
  }

  public long[] attrInts(String name, long[] dflt) {
    if (!hasAttr(name)) {
      return dflt;
    }
    return attr(name).getList().getIList().stream().mapToLong(Long::longValue).toArray();
  }

  public List<DType> attrTypes(String name) {
    if (!hasAttr(name)) {
      return List.of();
    }
    return attr(name).getList().getTypeValueList().stream().map(DType::fromNumber).toList();
  }

  /** A shape attribute; null when the rank is unknown. Unknown dimensions are -1. */
  public long[] attrShape(String name) {
    if (!hasAttr(name)) {
      return null;
    }
    TensorShapeProto p = attr(name).getShape();
    if (p.getUnknownRank()) {
      return null;
    }
    return p.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  /** A tensor attribute (Const values), in the runtime's representation. */
  public Tensor attrTensor(String name) {
    return Tensor.fromData(TensorProtos.toTensorData(attr(name).getTensor(), "node '" + node.name + "' attribute '"
        + name + "'"));
  }

  /** A tensor attribute parsed once per node and reused by later runs. */
  public Tensor cachedAttrTensor(String name) {
    return session.cached(node, () -> attrTensor(name).markConstant());
  }

  public NameAttrList attrFunc(String name) {
    return attr(name).getFunc();
  }

  /** Calls a function of the graph's library. */
  public List<Tensor> call(NameAttrList function, List<Tensor> args) {
    return session.callFunction(function.getName(), function.getAttrMap(), args);
  }

  @Override
  public String toString() {
    return node.toString();
  }
}
