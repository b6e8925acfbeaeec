package io.tfgw.runtime;

import io.tfgw.core.TfgwException;
import io.tfgw.core.WrongInputException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a {@link Program} as TensorFlow's executor does: dataflow over the nodes the fetches and targets need, with
 * dead tensors for untaken conditional branches (Switch/Merge) and frames with iterations for TF1 loops
 * (Enter/Exit/NextIteration). Single-threaded and in a fixed order, so runs are deterministic; kernels parallelize
 * internally.
 *
 * <p>The order matters where ops have state (variables, stateful random ops) and TF's order is left open by the
 * graph: an Assign and a read of the same variable with no data or control path between them, or two iterations of
 * a loop (TF runs up to {@code parallel_iterations} of them at once, so which one updates a variable or draws from a
 * random op first is up to its thread pool). Here nodes become ready in graph order and run first in, first out,
 * and a loop's iterations run one after the other, as TF does with {@code parallel_iterations=1}: the values
 * NextIteration passes on enter iteration i + 1 once iteration i has finished. Where the graph orders things, the
 * result is TF's; where it does not, it is one of TF's possible results, always the same one.
 */
final class Executor {
  private static final Object CONTROL = new Object();

  private final Program program;
  private final Session session;

  // per run
  private boolean[] needed;
  private int[] initialPending;
  private Map<Integer, Map<Integer, Object>> fedInputs;
  private Map<String, Integer> entersPerFrame;
  private final ArrayDeque<Item> ready = new ArrayDeque<>();
  private Map<Node.Endpoint, Object> fetched;
  private Set<Node.Endpoint> fetchedNondeterministic;
  private Set<Node.Endpoint> feedsNondeterministic;
  private Set<Node> deadNodes;
  private boolean[] isFetched;

  private record Item(Node node, Frame frame, int iter) {}

  /** The state of one loop (or the root): iterations, loop invariants, exits. */
  private final class Frame {
    final String name;
    final Frame parent;
    final int parentIter;
    final Map<Integer, IterState> iterations = new HashMap<>();
    /** Iterations below this one are finished and dropped. */
    int lowest;
    final Map<String, Frame> children = new HashMap<>();
    final List<Object[]> constants = new ArrayList<>();
    final Set<Node> liveExits = new HashSet<>();
    final Set<Node> deadExits = new LinkedHashSet<>();
    /** Values NextIteration produced in an iteration, held until that iteration has finished. */
    final Map<Integer, List<Object[]>> nextIterationValues = new HashMap<>();
    int outstanding;
    int pendingEnters;
    boolean finished;

    Frame(String name, Frame parent, int parentIter) {
      this.name = name;
      this.parent = parent;
      this.parentIter = parentIter;
    }

    IterState iteration(int i) {
      IterState s = iterations.get(i);
      if (s == null) {
        s = new IterState();
        iterations.put(i, s);
        for (Object[] c : constants) {
          propagate((Node) c[0], new Object[] {c[1]}, c[1] == OpContext.DEAD, (Boolean) c[2], this, i);
        }
      }
      return s;
    }
  }

  private final class IterState {
    final int[] pending = initialPending.clone();
    final int[] dead = new int[program.nodes.size()];
    final Object[][] inputs = new Object[program.nodes.size()][];
    /** Nodes with an input that depends on an unseeded random op. */
    final boolean[] tainted = new boolean[program.nodes.size()];
    /** Ready items of this iteration not yet processed, plus loops started in it that have not finished. */
    int outstanding;
    Set<Integer> mergeFired;
  }

  Executor(Program program, Session session) {
    this.program = program;
    this.session = session;
  }

  /** The nodes that computing the fetches and targets needs, given the fed endpoints. */
  static boolean[] neededNodes(Program program, Set<Node.Endpoint> feeds, List<Node.Endpoint> fetches,
      List<Node> targets) {
    boolean[] needed = new boolean[program.nodes.size()];
    ArrayDeque<Node> work = new ArrayDeque<>();
    for (Node.Endpoint e : fetches) {
      if (!feeds.contains(e) && !needed[e.node().id]) {
        needed[e.node().id] = true;
        work.add(e.node());
      }
    }
    for (Node t : targets) {
      if (!needed[t.id]) {
        needed[t.id] = true;
        work.add(t);
      }
    }
    while (!work.isEmpty()) {
      Node n = work.poll();
      for (Node.Endpoint in : n.inputs) {
        if (!feeds.contains(in) && !needed[in.node().id]) {
          needed[in.node().id] = true;
          work.add(in.node());
        }
      }
      for (Node c : n.controlInputs) {
        if (!needed[c.id]) {
          needed[c.id] = true;
          work.add(c);
        }
      }
    }
    return needed;
  }

  /**
   * The fetched values of a run, in order, and which of them depend on an unseeded random op (TF seeds those ops
   * afresh on every run, so such a value is not reproducible).
   */
  record Result(List<Tensor> values, boolean[] nondeterministic) {}

  /** Runs; returns the fetched values in order. */
  List<Tensor> run(Map<Node.Endpoint, Tensor> feeds, List<Node.Endpoint> fetches, List<Node> targets) {
    return run(feeds, Set.of(), fetches, targets).values();
  }

  /**
   * Runs; {@code nondeterministicFeeds} are fed values that depend on an unseeded random op (arguments of a
   * function called with such values).
   */
  Result run(Map<Node.Endpoint, Tensor> feeds, Set<Node.Endpoint> nondeterministicFeeds,
      List<Node.Endpoint> fetches, List<Node> targets) {
    feedsNondeterministic = nondeterministicFeeds;
    needed = neededNodes(program, feeds.keySet(), fetches, targets);
    int n = program.nodes.size();
    initialPending = new int[n];
    fedInputs = new HashMap<>();
    entersPerFrame = new HashMap<>();
    for (Node node : program.nodes) {
      if (!needed[node.id]) {
        continue;
      }
      int pending = node.controlInputs.size();
      for (int i = 0; i < node.inputs.size(); i++) {
        Node.Endpoint in = node.inputs.get(i);
        Tensor fed = feeds.get(in);
        if (fed != null) {
          fedInputs.computeIfAbsent(node.id, k -> new HashMap<>()).put(i, fed);
        } else if (!node.isMerge()) {
          pending++;
        }
      }
      initialPending[node.id] = pending;
      if (node.isEnter()) {
        entersPerFrame.merge(frameName(node), 1, Integer::sum);
      }
    }
    fetched = new HashMap<>();
    fetchedNondeterministic = new HashSet<>();
    deadNodes = new HashSet<>();
    isFetched = new boolean[n];
    for (Node.Endpoint e : fetches) {
      isFetched[e.node().id] = true;
    }
    Frame root = new Frame("", null, 0);
    root.iteration(0);
    for (Node node : program.nodes) {
      if (needed[node.id] && initialPending[node.id] == 0 && !node.isMerge()) {
        enqueue(node, root, 0);
      }
    }
    while (!ready.isEmpty()) {
      Item item = ready.poll();
      process(item);
      item.frame.outstanding--;
      IterState st = item.frame.iterations.get(item.iter);
      if (st != null) {
        st.outstanding--;
      }
      startNextIteration(item.frame, item.iter);
      if (item.frame.parent != null) {
        dropFinishedIterations(item.frame);
      }
      checkFinished(item.frame);
    }
    List<Tensor> out = new ArrayList<>(fetches.size());
    boolean[] nondeterministic = new boolean[fetches.size()];
    for (int i = 0; i < fetches.size(); i++) {
      Node.Endpoint e = fetches.get(i);
      boolean fed = feeds.containsKey(e);
      Object v = fed ? feeds.get(e) : fetched.get(e);
      if (v == OpContext.DEAD || (v == null && deadNodes.contains(e.node()))) {
        throw new WrongInputException("Tensor " + e + " has no value in this run: it comes from the untaken branch "
            + "of a conditional (Switch)");
      }
      nondeterministic[i] = fed ? nondeterministicFeeds.contains(e) : fetchedNondeterministic.contains(e);
      // a fetched ref aliases the variable's buffer: TF's caller reads it after the run, updates included
      if (v instanceof Variable var) {
        v = session.valueOf(var);
        nondeterministic[i] |= var.isNondeterministic();
      } else if (v instanceof Variable.View view) {
        v = view.read();
        nondeterministic[i] |= view.variable().isNondeterministic();
      }
      if (!(v instanceof Tensor)) {
        throw new WrongInputException("Tensor " + e + " was not computed (" + e.node().op + " gave "
            + (v == null ? "no output " + e.index() : v) + ")");
      }
      out.add((Tensor) v);
    }
    return new Result(out, nondeterministic);
  }

  private static String frameName(Node enter) {
    io.tfgw.proto.AttrValue v = enter.attrs.get("frame_name");
    return v == null ? "" : v.getS().toStringUtf8();
  }

  private void enqueue(Node node, Frame frame, int iter) {
    frame.outstanding++;
    frame.iteration(iter).outstanding++;
    ready.add(new Item(node, frame, iter));
  }

  /**
   * Drops finished iterations of a loop frame: an iteration is finished when nothing of it is ready and the one
   * before it is finished (only that one can start more work in it), and iteration 0 when all Enters arrived.
   */
  private void dropFinishedIterations(Frame f) {
    while (true) {
      IterState s = f.iterations.get(f.lowest);
      if (s == null || s.outstanding > 0 || (f.lowest == 0 && f.pendingEnters > 0)
          || !f.iterations.containsKey(f.lowest + 1)) {
        return;
      }
      f.iterations.remove(f.lowest);
      f.lowest++;
    }
  }

  /** Once iteration {@code iter} of a loop has finished, passes what its NextIterations produced to the next one. */
  private void startNextIteration(Frame f, int iter) {
    if (f.parent == null || f.nextIterationValues.isEmpty()) {
      return;
    }
    IterState s = f.iterations.get(iter);
    if (s == null || s.outstanding > 0 || (iter == 0 && f.pendingEnters > 0)) {
      return;
    }
    List<Object[]> values = f.nextIterationValues.remove(iter);
    if (values != null) {
      for (Object[] v : values) {
        propagate((Node) v[0], new Object[] {v[1]}, false, (Boolean) v[2], f, iter + 1);
      }
    }
  }

  private void checkFinished(Frame f) {
    while (f.parent != null && !f.finished && f.outstanding == 0 && f.pendingEnters == 0) {
      f.finished = true;
      for (Node exit : f.deadExits) {
        if (!f.liveExits.contains(exit)) {
          propagate(exit, new Object[] {OpContext.DEAD}, true, false, f.parent, f.parentIter);
        }
      }
      f.parent.children.remove(f.name + "@" + f.parentIter);
      f.parent.outstanding--;
      IterState ps = f.parent.iterations.get(f.parentIter);
      if (ps != null) {
        ps.outstanding--;
      }
      startNextIteration(f.parent, f.parentIter);
      if (f.parent.parent != null) {
        dropFinishedIterations(f.parent);
      }
      f = f.parent;
    }
  }

  private void process(Item item) {
    Node node = item.node;
    Frame frame = item.frame;
    IterState st = frame.iteration(item.iter);
    Object[] in = st.inputs[node.id];
    st.inputs[node.id] = null;
    if (in == null) {
      in = new Object[node.inputs.size()];
    }
    Map<Integer, Object> fed = fedInputs.get(node.id);
    boolean tainted = st.tainted[node.id];
    if (fed != null) {
      for (Map.Entry<Integer, Object> e : fed.entrySet()) {
        in[e.getKey()] = e.getValue();
        tainted |= feedsNondeterministic.contains(node.inputs.get(e.getKey()));
      }
    }
    boolean dead = st.dead[node.id] > 0;
    if (OpRegistry.EXECUTOR_OPS.contains(node.op) && !node.op.startsWith("Ref")) {
      // a ref edge into a non-ref Enter/Exit/NextIteration/Merge is dereferenced there: what flows on is a tensor
      // aliasing the variable's buffer, as in TF
      for (int i = 0; i < in.length; i++) {
        if (in[i] instanceof Variable var) {
          in[i] = OpContext.viewOf(session, var);
        }
      }
    }
    if (node.isMerge()) {
      processMerge(node, frame, item.iter, in, dead, tainted);
      return;
    }
    if (node.isEnter()) {
      String name = frameName(node);
      String key = name + "@" + item.iter;
      Frame child = frame.children.get(key);
      if (child == null) {
        child = new Frame(name, frame, item.iter);
        child.pendingEnters = entersPerFrame.getOrDefault(name, 1);
        frame.children.put(key, child);
        frame.outstanding++;
        st.outstanding++;
      }
      Object v = dead ? OpContext.DEAD : in[0];
      io.tfgw.proto.AttrValue constant = node.attrs.get("is_constant");
      if (constant != null && constant.getB()) {
        child.iteration(0);
        child.constants.add(new Object[] {node, v, tainted});
        for (int i : new ArrayList<>(child.iterations.keySet())) {
          propagate(node, new Object[] {v}, dead, tainted, child, i);
        }
      } else {
        propagate(node, new Object[] {v}, dead, tainted, child, 0);
      }
      child.pendingEnters--;
      startNextIteration(child, 0);
      checkFinished(child);
      return;
    }
    if (node.isExit()) {
      if (frame.parent == null) {
        throw new WrongInputException("Node " + node + " is an Exit outside of any loop; the graph is malformed");
      }
      if (dead) {
        frame.deadExits.add(node);
      } else {
        frame.liveExits.add(node);
        propagate(node, new Object[] {in[0]}, false, tainted, frame.parent, frame.parentIter);
      }
      return;
    }
    if (node.isNextIteration()) {
      if (!dead) {
        frame.nextIterationValues.computeIfAbsent(item.iter, k -> new ArrayList<>())
            .add(new Object[] {node, in[0], tainted});
      }
      return;
    }
    if (dead) {
      propagate(node, null, true, false, frame, item.iter);
      return;
    }
    OpContext ctx = execute(node, in, tainted);
    propagate(node, ctx.outputsForExecutor(), false, ctx.outputsNondeterministic(), frame, item.iter);
  }

  private void processMerge(Node node, Frame frame, int iter, Object[] in, boolean dead, boolean tainted) {
    IterState st = frame.iteration(iter);
    int chosen = -1;
    for (int i = 0; i < in.length; i++) {
      if (in[i] != null && in[i] != OpContext.DEAD) {
        chosen = i;
        break;
      }
    }
    Object[] outputs = chosen < 0 ? null : new Object[] {in[chosen], Tensor.scalar(chosen)};
    propagate(node, outputs, chosen < 0, tainted, frame, iter);
  }

  private OpContext execute(Node node, Object[] in, boolean tainted) {
    OpContext ctx = new OpContext(node, in, session, tainted);
    try {
      if (node.kernel != null) {
        node.kernel.compute(ctx);
      } else if (session.library().contains(node.op)) {
        ctx.outputs(ctx.call(node.op, node.attrs, ctx.inputs(0, in.length), null));
      } else if (node.op.equals("_Arg")) {
        throw new IllegalStateException("function argument " + node.name + " was not fed");
      } else {
        throw new io.tfgw.core.UnsupportedInputException("Op " + node.op + " (node '" + node.name
            + "') is not supported by the tfgw runtime; this run took the conditional branch it is in");
      }
    } catch (KernelException e) {
      throw new OpFailedException(node.name, node.op, e.getMessage());
    } catch (TfgwException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalStateException("node '" + node.name + "' (" + node.op + ") failed: " + e, e);
    }
    return ctx;
  }

  /**
   * Delivers a node's outputs (null with dead = all dead) along its edges into (frame, iter); {@code tainted}: the
   * outputs depend on an unseeded random op.
   */
  private void propagate(Node node, Object[] outputs, boolean dead, boolean tainted, Frame frame, int iter) {
    boolean[] perOutput = new boolean[outputs == null ? 0 : outputs.length];
    java.util.Arrays.fill(perOutput, tainted);
    propagate(node, outputs, dead, perOutput, frame, iter);
  }

  private void propagate(Node node, Object[] outputs, boolean dead, boolean[] tainted, Frame frame, int iter) {
    if (frame.parent == null && isFetched[node.id]) {
      if (outputs != null) {
        for (int i = 0; i < outputs.length; i++) {
          Node.Endpoint e = new Node.Endpoint(node, i);
          Object v = outputs[i];
          // TF's fetch dereferences a ref output when it is produced: later Assigns that make a new buffer (another
          // size) do not reach it, in-place updates do
          fetched.put(e, v instanceof Variable var && var.isInitialized() ? var.view() : v);
          if (tainted[i]) {
            fetchedNondeterministic.add(e);
          }
        }
      } else {
        deadNodes.add(node);
      }
    }
    for (Node.Edge edge : node.outEdges) {
      Node dst = edge.dst();
      if (!needed[dst.id]) {
        continue;
      }
      Object v;
      if (edge.srcSlot() < 0) {
        v = dead ? OpContext.DEAD : CONTROL;
      } else if (outputs == null) {
        v = OpContext.DEAD;
      } else {
        if (edge.srcSlot() >= outputs.length || outputs[edge.srcSlot()] == null) {
          throw new IllegalStateException("node '" + node.name + "' (" + node.op + ") produced no output "
              + edge.srcSlot() + ", which node '" + dst.name + "' consumes");
        }
        v = outputs[edge.srcSlot()];
      }
      boolean t = edge.srcSlot() >= 0 && edge.srcSlot() < tainted.length && tainted[edge.srcSlot()];
      deliver(dst, edge.dstSlot(), v, t, frame, iter);
    }
  }

  private void deliver(Node dst, int slot, Object v, boolean tainted, Frame frame, int iter) {
    IterState st = frame.iteration(iter);
    boolean isDead = v == OpContext.DEAD;
    if (tainted && !isDead) {
      st.tainted[dst.id] = true;
    }
    if (dst.isMerge() && st.mergeFired != null && st.mergeFired.contains(dst.id)) {
      return;
    }
    if (slot >= 0) {
      Object[] in = st.inputs[dst.id];
      if (in == null) {
        in = new Object[dst.inputs.size()];
        st.inputs[dst.id] = in;
      }
      in[slot] = v;
    }
    if (dst.isMerge()) {
      if (slot < 0) {
        st.pending[dst.id]--;
      } else if (isDead) {
        st.dead[dst.id]++;
      }
      maybeFireMerge(dst, frame, iter, st);
      return;
    }
    if (isDead) {
      st.dead[dst.id]++;
    }
    if (--st.pending[dst.id] == 0) {
      enqueue(dst, frame, iter);
    }
  }

  /**
   * A Merge fires once per iteration: with the first live data input, or dead when every data input that can arrive
   * in this iteration is dead (a loop's Merge gets its Enter input in iteration 0 and its NextIteration inputs
   * after that).
   */
  private void maybeFireMerge(Node merge, Frame frame, int iter, IterState st) {
    if (st.pending[merge.id] > 0) {
      return;
    }
    Object[] in = st.inputs[merge.id];
    boolean live = false;
    if (in != null) {
      for (Object o : in) {
        if (o != null && o != OpContext.DEAD) {
          live = true;
          break;
        }
      }
    }
    int expected;
    if (merge.backEdges == 0) {
      expected = merge.inputs.size();
    } else {
      expected = iter == 0 ? merge.inputs.size() - merge.backEdges : merge.backEdges;
    }
    if (live || st.dead[merge.id] >= expected) {
      if (st.mergeFired == null) {
        st.mergeFired = new HashSet<>();
      }
      st.mergeFired.add(merge.id);
      enqueue(merge, frame, iter);
    }
  }
}
