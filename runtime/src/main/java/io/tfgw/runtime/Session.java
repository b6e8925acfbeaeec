package io.tfgw.runtime;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.GraphDef;
import io.tfgw.proto.NameAttrList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs a TensorFlow graph (GraphDef with its function library) without TensorFlow: feeds and fetches by tensor
 * name ({@code op:0}), evaluating only what the fetches need. Holds the graph's variables: TF1 ref variables
 * (VariableV2) and resource variables (VarHandleOp) by shared name. Variables get values from restore ops run
 * through the session (RestoreV2 reads the session's checkpoint), from assignments, or, on first read, from the
 * checkpoint tensor of the same name.
 *
 * <p>Results are deterministic: the same feeds give the same bits on every run and every machine, whatever the
 * number of cores.
 */
public final class Session {
  /** The graph with MatMul/Conv2D + BiasAdd [+ activation] chains fused ({@link ChainFusion}). */
  private final Program graph;
  private final GraphDef graphDef;
  /** The graph as written, for runs that feed a fused chain's inner tensor; made on first such run. */
  private Program unfused;
  private final FunctionLibrary library;
  private final CheckpointReader checkpoint;
  private final Map<String, Variable> variables = new TreeMap<>();
  private final Map<Node, Tensor> constants = new ConcurrentHashMap<>();
  private final Map<String, Object> resources = new ConcurrentHashMap<>();
  private volatile GraphFiles files = GraphFiles.LOCAL;
  private final Map<Node, Object> kernelStates = new ConcurrentHashMap<>();

  /** A session over a graph whose variables (if any) come from Consts or assignments. */
  public Session(GraphDef graph) {
    this(graph, null);
  }

  /**
   * A session whose restore ops (RestoreV2 and the legacy Restore/RestoreSlice) read {@code checkpoint}, whatever
   * file name they are given; variables without a restore also read it by name on first use. The checkpoint stays
   * open as long as the session is used; closing it is the caller's business.
   */
  public Session(GraphDef graph, CheckpointReader checkpoint) {
    this.library = new FunctionLibrary(graph.getLibrary());
    this.graph = Program.fromGraph(graph, library, true);
    this.graphDef = graph;
    this.checkpoint = checkpoint;
  }

  /** Runs the graph; returns the fetched tensors by name, in the order asked. */
  public Map<String, Tensor> run(Map<String, Tensor> feeds, List<String> fetches) {
    List<Tensor> values = run(feeds, fetches, List.of());
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < fetches.size(); i++) {
      out.put(fetches.get(i), values.get(i));
    }
    return out;
  }

  /**
   * Runs the graph: computes {@code fetches} (tensor names) and runs {@code targets} (node names, e.g. a restore
   * or init op) given {@code feeds} (tensor name to value). Fails before running anything when a needed op is not
   * supported. Variables keep their values from run to run, and stateful random ops continue their streams, as in
   * a TF session.
   */
  public List<Tensor> run(Map<String, Tensor> feeds, List<String> fetches, List<String> targets) {
    return runDetailed(feeds, fetches, targets).values();
  }

  /**
   * What a run fetched, in the order asked, and for each whether it depends on an unseeded random op (one whose
   * {@code seed} and {@code seed2} are 0: TF seeds it from the clock, so neither TF nor tfgw reproduce its values).
   */
  public record Result(List<Tensor> values, List<Boolean> nondeterministic) {}

  /** As {@link #run(Map, List, List)}, also telling which fetched values are nondeterministic. */
  public synchronized Result runDetailed(Map<String, Tensor> feeds, List<String> fetches, List<String> targets) {
    Program program = graph;
    for (String f : feeds.keySet()) {
      if (graph.fusedInterior.contains(graph.endpoint(f).node().name)) {
        program = unfused();
        break;
      }
    }
    Map<Node.Endpoint, Tensor> feedEndpoints = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
      feedEndpoints.put(program.endpoint(e.getKey()), e.getValue());
    }
    List<Node.Endpoint> fetchEndpoints = new ArrayList<>();
    for (String f : fetches) {
      fetchEndpoints.add(program.endpoint(f));
    }
    List<Node> targetNodes = new ArrayList<>();
    for (String t : targets) {
      targetNodes.add(program.node(t.startsWith("^") ? t.substring(1) : t));
    }
    checkSupported(program, feedEndpoints.keySet(), fetchEndpoints, targetNodes);
    Executor.Result r = new Executor(program, this).run(feedEndpoints, Set.of(), fetchEndpoints, targetNodes);
    List<Boolean> nondeterministic = new ArrayList<>();
    for (boolean b : r.nondeterministic()) {
      nondeterministic.add(b);
    }
    return new Result(r.values(), List.copyOf(nondeterministic));
  }

  /**
   * The op types that running these fetches and targets would need but the runtime does not support (including
   * ops inside called functions), sorted; empty when everything is supported.
   */
  public Set<String> unsupportedOps(Collection<String> feeds, List<String> fetches, List<String> targets) {
    Set<Node.Endpoint> fed = new HashSet<>();
    for (String f : feeds) {
      fed.add(graph.endpoint(f));
    }
    List<Node.Endpoint> fe = fetches.stream().map(graph::endpoint).toList();
    List<Node> tn = targets.stream().map(graph::node).toList();
    Set<String> out = new TreeSet<>();
    scan(graph, fed, fe, tn, out, new StringBuilder());
    return out;
  }

  /**
   * The unfused program, whose nodes keep their kernel state and constants under the fused program's nodes of the
   * same name, so a stateful op continues its stream whichever program a run uses.
   */
  private Program unfused() {
    if (unfused == null) {
      Program p = Program.fromGraph(graphDef, library, false);
      for (Node n : p.nodes) {
        n.stateKey = graph.byName.get(n.name);
      }
      unfused = p;
    }
    return unfused;
  }

  private void checkSupported(Program program, Set<Node.Endpoint> feeds, List<Node.Endpoint> fetches,
      List<Node> targets) {
    Set<String> unsupported = new TreeSet<>();
    StringBuilder first = new StringBuilder();
    scan(program, feeds, fetches, targets, unsupported, first);
    if (!unsupported.isEmpty()) {
      throw new UnsupportedInputException(first + " is not supported by the tfgw runtime; unsupported ops needed "
          + "for this run: " + String.join(", ", unsupported) + " (the README's Runtime section lists the supported "
          + "ops)");
    }
  }

  private void scan(Program graph, Set<Node.Endpoint> feeds, List<Node.Endpoint> fetches, List<Node> targets,
      Set<String> out, StringBuilder first) {
    boolean[] needed = Executor.neededNodes(graph, feeds, fetches, targets);
    boolean[] conditional = conditional(graph, needed);
    Set<String> seenFunctions = new HashSet<>();
    ArrayDeque<String> functions = new ArrayDeque<>();
    for (Node n : graph.nodes) {
      if (needed[n.id] && !conditional[n.id]) {
        check(n, null, out, first, functions);
      }
    }
    while (!functions.isEmpty()) {
      String f = functions.poll();
      if (!seenFunctions.add(f)) {
        continue;
      }
      if (!library.contains(f)) {
        out.add(f);
        if (first.isEmpty()) {
          first.append("Function '").append(f).append("' (called but not in the graph's library)");
        }
        continue;
      }
      for (io.tfgw.proto.NodeDef n : library.get(f).getNodeDefList()) {
        check(new Node(-1, n.getName(), n.getOp(), n.getAttrMap()), f, out, first, functions);
      }
    }
  }

  /**
   * Nodes that run only when a TF1 conditional takes their branch: everything downstream of a Switch output up to
   * the Merge that joins the branches. Unsupported ops there (training ops behind an is_training switch)
   * do not stop a run that does not take that branch; one that does fails when it reaches the op.
   */
  static boolean[] conditional(Program program, boolean[] needed) {
    boolean[] cond = new boolean[program.nodes.size()];
    boolean changed = true;
    while (changed) {
      changed = false;
      for (Node n : program.nodes) {
        if (!needed[n.id] || cond[n.id] || n.isMerge()) {
          continue;
        }
        boolean c = false;
        for (Node.Endpoint in : n.inputs) {
          Node src = in.node();
          if (isCondSwitch(src) || (cond[src.id] && !src.isMerge())) {
            c = true;
            break;
          }
        }
        for (Node ctl : n.controlInputs) {
          if (cond[ctl.id] || isCondSwitch(ctl)) {
            c = true;
            break;
          }
        }
        if (c) {
          cond[n.id] = true;
          changed = true;
        }
      }
    }
    return cond;
  }

  /** A Switch of a conditional (a loop's Switches, fed by LoopCond, run their body on every iteration). */
  private static boolean isCondSwitch(Node n) {
    return (n.op.equals("Switch") || n.op.equals("RefSwitch")) && n.inputs.size() == 2
        && !n.inputs.get(1).node().op.equals("LoopCond");
  }

  private void check(Node n, String function, Set<String> out, StringBuilder first, ArrayDeque<String> functions) {
    if (library.contains(n.op)) {
      functions.add(n.op);
    } else if (!OpRegistry.isSupported(n.op)) {
      out.add(n.op);
      if (first.isEmpty()) {
        first.append("Op ").append(n.op).append(" (node '").append(n.name).append('\'');
        if (function != null) {
          first.append(" in function '").append(function).append('\'');
        }
        first.append(')');
      }
    }
    for (AttrValue v : n.attrs.values()) {
      if (v.hasFunc()) {
        functions.add(v.getFunc().getName());
      }
      for (NameAttrList f : v.getList().getFuncList()) {
        functions.add(f.getName());
      }
    }
  }

  /** Calls a function of the graph's library with positional arguments; returns its results. */
  public List<Tensor> callFunction(String name, Map<String, AttrValue> attrs, List<Tensor> args) {
    return callFunction(name, attrs, args, null).values();
  }

  /** As above; {@code nondeterministicArgs}: per argument, whether it depends on an unseeded random op. */
  Executor.Result callFunction(String name, Map<String, AttrValue> attrs, List<Tensor> args,
      boolean[] nondeterministicArgs) {
    Program p = library.instantiate(name, attrs);
    if (args.size() != p.args.size()) {
      throw new KernelException("function '" + name + "' takes " + p.args.size() + " arguments, got " + args.size());
    }
    Map<Node.Endpoint, Tensor> feeds = new LinkedHashMap<>();
    Set<Node.Endpoint> nondeterministicFeeds = new HashSet<>();
    for (int i = 0; i < args.size(); i++) {
      Node.Endpoint arg = new Node.Endpoint(p.args.get(i), 0);
      feeds.put(arg, args.get(i));
      if (nondeterministicArgs != null && nondeterministicArgs[i]) {
        nondeterministicFeeds.add(arg);
      }
    }
    return new Executor(p, this).run(feeds, nondeterministicFeeds, p.rets, p.controlRets);
  }

  /** A node's kernel state, made on first use (see {@link OpContext#kernelState}). */
  Object kernelState(Node node, Supplier<?> make) {
    return kernelStates.computeIfAbsent(node.stateKey, k -> make.get());
  }

  FunctionLibrary library() {
    return library;
  }

  /** The checkpoint restore ops read, if the session has one. */
  public Optional<CheckpointReader> checkpoint() {
    return Optional.ofNullable(checkpoint);
  }

  /** The checkpoint restore ops read; a clear error when the session has none. */
  public CheckpointReader requireCheckpoint() {
    if (checkpoint == null) {
      throw new KernelException("the graph restores variables from a checkpoint, but no checkpoint was given");
    }
    return checkpoint;
  }

  /** The variable with this key, created (without a value) on first use. */
  public synchronized Variable variable(String key, DType dtype) {
    return variables.computeIfAbsent(key, k -> new Variable(k, dtype));
  }

  /** The session's variables by key. */
  public synchronized Map<String, Variable> variables() {
    return Map.copyOf(variables);
  }

  /**
   * The value of a variable; an uninitialized variable takes the checkpoint tensor of its name, as TF1 savers
   * name them by default.
   */
  public Tensor valueOf(Variable v) {
    if (!v.isInitialized()) {
      if (checkpoint != null) {
        Optional<TensorInfo> info = checkpoint.tensor(v.key());
        if (info.isPresent()) {
          v.assign(Tensor.fromData(checkpoint.read(v.key())));
          return v.value();
        }
      }
      throw new KernelException("variable '" + v.key() + "' has no value: the graph is not frozen and "
          + (checkpoint == null ? "no checkpoint was given" : "the checkpoint has no tensor of that name and no "
          + "restore op assigned it") + "; run the SavedModel, the .meta with its checkpoint, or a frozen graph");
    }
    return v.value();
  }

  /** A per-node cached value (Const tensors are parsed once). */
  Tensor cached(Node node, Supplier<Tensor> compute) {
    Tensor t = constants.get(node.stateKey);
    if (t == null) {
      t = compute.get();
      constants.put(node.stateKey, t);
    }
    return t;
  }

  /**
   * A stateful resource of the session other than a variable (a lookup table), created on first use under its key
   * and kept for the session's life, as TF's resource manager keeps it per session.
   */
  public <T> T resource(String key, Class<T> type, Supplier<T> create) {
    Object r = resources.computeIfAbsent(key, k -> create.get());
    if (!type.isInstance(r)) {
      throw new KernelException("resource '" + key + "' is a " + r.getClass().getSimpleName() + ", not a "
          + type.getSimpleName());
    }
    return type.cast(r);
  }

  /** The resource under this key, if some op created it. */
  public <T> Optional<T> existingResource(String key, Class<T> type) {
    Object r = resources.get(key);
    return type.isInstance(r) ? Optional.of(type.cast(r)) : Optional.empty();
  }

  /** How ops that read files (ReadFile, tables initialised from text files) read them; local files by default. */
  public GraphFiles files() {
    return files;
  }

  /** Sets how file-reading ops read the paths they are given (a model's assets on any storage). */
  public void setFiles(GraphFiles files) {
    this.files = java.util.Objects.requireNonNull(files, "files");
  }
}
