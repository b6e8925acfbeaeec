package io.tfgw.runtime;

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
  /** Whether an input depends on an unseeded random op. */
  private final boolean inputsNondeterministic;
  /** Whether the kernel made its outputs depend on one (an unseeded random op, a read of such a variable). */
  private boolean marked;
  /** Per output, when the kernel knows better than "any input" (function calls); null otherwise. */
  private boolean[] outputNondeterministic;

  /** A fused chain's bias and activation this op may apply to its output (see {@link #epilogue()}); null if none. */
  private io.tfgw.runtime.kernels.Epilogue epilogue;
  private boolean epilogueApplied;

    OpContext(Node node, Object[] inputs, Session session, boolean inputsNondeterministic) {
    this.node = node;
    this.inputs = inputs;
    this.session = session;
    this.inputsNondeterministic = inputsNondeterministic;
  }

  /** Offers this op the epilogue of the fused chain it produces for (see FusedKernel). */
  void offerEpilogue(io.tfgw.runtime.kernels.Epilogue e) {
    epilogue = e;
  }

  /**
   * The BiasAdd and activation that follow this op in a fused chain, for a kernel that can apply them to its output
   * in place (MatMul, Conv2D); null otherwise. A kernel that applies it says so with {@link #epilogueApplied()};
   * one that does not leaves the chain to run them as the separate ops.
   */
  public io.tfgw.runtime.kernels.Epilogue epilogue() {
    return epilogue;
  }

  /** Called by a kernel that applied {@link #epilogue()} to output 0. */
  public void epilogueApplied() {
    epilogueApplied = true;
  }

  boolean isEpilogueApplied() {
    return epilogueApplied;
  }

  /** The inputs as the executor delivered them (tensors, variables, views), for a fused chain's sub-ops. */
  Object[] rawInputs() {
    return inputs;
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

  /**
   * Input {@code i} as a tensor; a ref input (from a TF1 variable), or a tensor aliasing a variable's buffer, gives
   * what the variable holds now.
   */
  public Tensor input(int i) {
    Object v = inputs[i];
    if (v instanceof Tensor t) {
      return t;
    }
    if (v instanceof Variable var) {
      return read(var);
    }
    if (v instanceof Variable.View view) {
      marked |= view.variable().isNondeterministic();
      return view.read();
    }
    throw new KernelException("input " + i + " has no value");
  }

  /** The value of a variable (resource variables' reads), recording whether it is nondeterministic. */
  public Tensor read(Variable v) {
    Tensor t = session.valueOf(v);
    marked |= v.isNondeterministic();
    return t;
  }

  /**
   * Output {@code out} is input {@code in} itself, as TF's Identity, Switch and friends forward their input's buffer:
   * a ref input (dereferenced here) or a tensor aliasing a variable's buffer stays an alias of that buffer, so a
   * later in-place update of a TF1 variable reaches this op's consumers.
   */
  public void forward(int in, int out) {
    Object v = inputs[in];
    if (v instanceof Variable var) {
      v = viewOf(session, var);
    } else if (!(v instanceof Tensor) && !(v instanceof Variable.View)) {
      throw new KernelException("input " + in + " has no value");
    }
    if (v instanceof Variable.View view) {
      marked |= view.variable().isNondeterministic();
    }
    setOutput(out, v);
  }

  /** As {@link #forward(int, int)}, with another shape of as many elements (Reshape, ExpandDims, Squeeze). */
  public void forward(int in, int out, io.tfgw.core.tensor.Shape shape) {
    forward(in, out);
    Object v = outputs[out];
    setOutput(out, v instanceof Variable.View view ? view.reshaped(shape) : ((Tensor) v).reshape(shape));
  }

  /** A tensor aliasing the variable's current buffer (initialized from the checkpoint first if need be). */
  static Variable.View viewOf(Session session, Variable var) {
    session.valueOf(var);
    return var.view();
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

  /**
   * Output {@code i}, saying itself whether it depends on an unseeded random op (a function call's result), instead
   * of inheriting that from any input.
   */
  public void output(int i, Tensor t, boolean nondeterministic) {
    setOutput(i, t);
    if (outputNondeterministic == null) {
      outputNondeterministic = new boolean[Math.max(outputs.length, i + 1)];
    } else if (i >= outputNondeterministic.length) {
      outputNondeterministic = Arrays.copyOf(outputNondeterministic, Math.max(outputs.length, i + 1));
    }
    outputNondeterministic[i] = nondeterministic;
  }

  /** Outputs a variable reference itself (ref-typed outputs: RefIdentity, RefSwitch, Assign). */
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

  /** The outputs, as many as were set. */
  Object[] outputsForExecutor() {
    return numOutputs == outputs.length ? outputs : Arrays.copyOf(outputs, numOutputs);
  }

  /** Whether what this op computes depends on an unseeded random op (an input does, or the kernel said so). */
  public boolean isNondeterministic() {
    return inputsNondeterministic || marked;
  }

  /**
   * Marks the outputs as depending on an unseeded random op: TF seeds such an op from the clock on every session, so
   * its values are not reproducible, by TF or by tfgw.
   */
  public void markNondeterministic() {
    marked = true;
  }

  /** Per output set, whether it depends on an unseeded random op. */
  boolean[] outputsNondeterministic() {
    boolean[] out = new boolean[numOutputs];
    for (int i = 0; i < numOutputs; i++) {
      out[i] = marked || (outputNondeterministic == null ? inputsNondeterministic
          : i < outputNondeterministic.length && outputNondeterministic[i]);
    }
    return out;
  }

  /**
   * State this node's kernel keeps across runs of the session (a stateful random op's generator), made on first
   * use. TF keeps such kernels per session and node; a function body's nodes have theirs per instantiation.
   */
  public <T> T kernelState(Class<T> type, java.util.function.Supplier<T> make) {
    return type.cast(session.kernelState(node, make));
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

  /** A function call's results and, for each, whether it depends on an unseeded random op. */
  public record CallResult(List<Tensor> values, boolean[] nondeterministic) {}

  /**
   * Calls a function of the graph's library; {@code argsNondeterministic} says per argument whether it depends on an
   * unseeded random op (null: as this op's inputs do).
   */
  public CallResult call(NameAttrList function, List<Tensor> args, boolean[] argsNondeterministic) {
    return call(function.getName(), function.getAttrMap(), args, argsNondeterministic);
  }

  CallResult call(String function, java.util.Map<String, AttrValue> attrs, List<Tensor> args,
      boolean[] argsNondeterministic) {
    boolean[] argTaint = argsNondeterministic;
    if (argTaint == null) {
      argTaint = new boolean[args.size()];
      Arrays.fill(argTaint, isNondeterministic());
    }
    Executor.Result r = session.callFunction(function, attrs, args, argTaint);
    return new CallResult(r.values(), r.nondeterministic());
  }

  /** Sets the outputs to a call's results, each with its own nondeterminism. */
  public void outputs(CallResult results) {
    for (int i = 0; i < results.values().size(); i++) {
      output(i, results.values().get(i), results.nondeterministic()[i]);
    }
  }

  @Override
  public String toString() {
    return node.toString();
  }
}
