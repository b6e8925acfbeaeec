package io.tfgw.converters.onnx;

import io.tfgw.converters.graph.TensorRef;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.NodeDef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * TF1 control flow of a frozen graph, reconstructed from its Enter/Merge/Switch/LoopCond/NextIteration/Exit nodes:
 * the frame every node runs in (as TF's executor assigns them: an Enter starts its {@code frame_name}, an Exit
 * returns to the parent frame, every other node runs in the frame of its inputs), each while loop's carried values
 * and invariants, and each {@code tf.cond}'s predicate and two branches. A structure that does not have the shape
 * {@code tf.while_loop} and {@code tf.cond} build is refused naming its frame or Merge and the nodes involved.
 */
final class ControlFlowFrames {
  static final String ROOT = "";

  /**
   * One loop-carried value: {@code Enter -> Merge(Enter, NextIteration) -> Switch(Merge, LoopCond)}; the body
   * reads {@code Switch:1}, computes {@code NextIteration}'s input, and {@code Exit(Switch:0)} is the final value.
   */
  record LoopVar(NodeDef enter, NodeDef merge, NodeDef nextIteration, NodeDef sw, List<NodeDef> exits) {}

  /** A while loop: its frame, the values it carries, the invariants it reads (constant Enters), its LoopCond. */
  record Loop(String frame, List<LoopVar> vars, List<NodeDef> invariants, NodeDef loopCond) {
    /** The tensors outside the loop that it reads. */
    List<String> outerInputs() {
      List<String> out = new ArrayList<>();
      for (LoopVar v : vars) {
        out.add(TensorRef.parse(v.enter().getInput(0)).tensorName());
      }
      for (NodeDef e : invariants) {
        out.add(TensorRef.parse(e.getInput(0)).tensorName());
      }
      return out;
    }
  }

  /**
   * A {@code tf.cond}: its Merge, the predicate tensor, per branch (0: false, 1: true) the Merge input it gives and
   * the Switch outputs it reads (Switch tensor to the tensor the Switch forwards), and the tensors from outside the
   * branches that they read (computed before the cond).
   */
  record Cond(NodeDef merge, String pred, String[] result, List<Map<String, String>> switched,
      List<String> outerInputs) {}

  /**
   * What a node reads, with loops and conds closed: an Exit reads what its loop reads from outside, a cond's Merge
   * what its cond reads from outside (so walks and orderings never enter a loop or a branch through its end).
   */
  List<TensorRef> effectiveInputs(NodeDef n) {
    List<String> outer = null;
    if (isExit(n)) {
      outer = loopOf(n).outerInputs();
    } else if (isMerge(n) && !isLoopMerge(n)) {
      outer = condOf(n).outerInputs();
    }
    if (outer == null) {
      return n.getInputList().stream().map(TensorRef::parse).toList();
    }
    return outer.stream().map(TensorRef::parse).toList();
  }

  private final Map<String, NodeDef> nodes;
  private final Map<String, List<String>> consumers = new HashMap<>();
  private final Map<String, String> frameOf = new HashMap<>();
  private final Map<String, String> parentOf = new HashMap<>();
  private final Map<String, String> conflicts = new LinkedHashMap<>();
  /** Marks a structure being built, so a malformed graph that leads back to it is refused, not recursed into. */
  private static final Object BUILDING = new Object();
  private final Map<String, Object> loops = new HashMap<>();
  private final Map<String, Object> conds = new HashMap<>();

  ControlFlowFrames(Map<String, NodeDef> nodes) {
    this.nodes = nodes;
    for (NodeDef n : nodes.values()) {
      for (String in : n.getInputList()) {
        consumers.computeIfAbsent(TensorRef.parse(in).node(), k -> new ArrayList<>()).add(n.getName());
      }
    }
    assignFrames();
  }

  static boolean isEnter(NodeDef n) {
    return n.getOp().equals("Enter") || n.getOp().equals("RefEnter");
  }

  static boolean isExit(NodeDef n) {
    return n.getOp().equals("Exit") || n.getOp().equals("RefExit");
  }

  static boolean isMerge(NodeDef n) {
    return n.getOp().equals("Merge") || n.getOp().equals("RefMerge");
  }

  static boolean isSwitch(NodeDef n) {
    return n.getOp().equals("Switch") || n.getOp().equals("RefSwitch");
  }

  static boolean isNextIteration(NodeDef n) {
    return n.getOp().equals("NextIteration") || n.getOp().equals("RefNextIteration");
  }

  private static String frameName(NodeDef enter) {
    AttrValue a = enter.getAttrMap().get("frame_name");
    return a == null ? "" : a.getS().toStringUtf8();
  }

  private static boolean isConstantEnter(NodeDef enter) {
    AttrValue a = enter.getAttrMap().get("is_constant");
    return a != null && a.getB();
  }

  /**
   * TF's frame assignment, breadth first from the nodes without inputs. Constants without inputs are the same in
   * every frame (frozen graphs often lose the control edge that puts a loop's constants in its frame), so they go
   * last: a node gets its frame from its other inputs when it has any, and only a node fed by constants alone (or
   * by nodes fed so) gets the frame a constant gives.
   */
  private void assignFrames() {
    Deque<String> queue = new ArrayDeque<>();
    List<String> constants = new ArrayList<>();
    for (NodeDef n : nodes.values()) {
      if (n.getInputCount() == 0) {
        frameOf.put(n.getName(), ROOT);
        if (n.getOp().equals("Const")) {
          constants.add(n.getName());
        } else {
          queue.add(n.getName());
        }
      }
    }
    propagate(queue, Set.of());
    Set<String> weak = new HashSet<>(constants);
    queue.addAll(constants);
    propagate(queue, weak);
  }

  /** Gives consumers their frames; an edge from a node in {@code weak} never contradicts a frame already given. */
  private void propagate(Deque<String> queue, Set<String> weak) {
    while (!queue.isEmpty()) {
      String name = queue.poll();
      NodeDef n = nodes.get(name);
      String f = frameOf.get(name);
      if (isExit(n)) { // what an Exit gives is in the parent frame
        f = parentOf.get(f);
        if (f == null) {
          conflicts.put(name, "Exit '" + name + "' leaves the root frame");
          continue;
        }
      }
      for (String c : consumers.getOrDefault(name, List.of())) {
        NodeDef m = nodes.get(c);
        String fm = f;
        if (isEnter(m)) {
          fm = frameName(m);
          String known = parentOf.putIfAbsent(fm, f);
          if (known != null && !known.equals(f) && !weak.contains(name)) {
            conflicts.put(c, "frame '" + fm + "' is entered from frames '" + known + "' and '" + f + "'");
          }
        }
        String had = frameOf.putIfAbsent(c, fm);
        if (had == null) {
          queue.add(c);
        } else if (!had.equals(fm) && !weak.contains(name)) {
          conflicts.put(c, "node '" + c + "' reads values of frames '" + had + "' and '" + fm + "'");
        }
      }
    }
  }

  String frameOf(String node) {
    return frameOf.getOrDefault(node, ROOT);
  }

  /** Whether this Merge joins a loop's entry value with its NextIteration (rather than a cond's branches). */
  boolean isLoopMerge(NodeDef merge) {
    for (String in : merge.getInputList()) {
      NodeDef src = nodes.get(TensorRef.parse(in).node());
      if (src != null && (isEnter(src) || isNextIteration(src))) {
        return true;
      }
    }
    return false;
  }

  private boolean isLoopSwitch(NodeDef sw) {
    NodeDef pred = sw.getInputCount() < 2 ? null : nodes.get(TensorRef.parse(sw.getInput(1)).node());
    return pred != null && pred.getOp().equals("LoopCond");
  }

  /** The while loop an Exit leaves; refused (naming the frame and nodes) when its structure is not a while loop. */
  Loop loopOf(NodeDef exit) {
    String frame = frameOf(exit.getName());
    Object known = loops.get(frame);
    if (known == BUILDING) {
      throw new UnsupportedInputException("the TF1 while loop of frame '" + frame + "' reads its own result");
    }
    if (known == null) { // not computeIfAbsent: building one structure may look up others
      loops.put(frame, BUILDING);
      try {
        known = buildLoop(frame);
      } catch (UnsupportedInputException e) {
        known = e;
      }
      loops.put(frame, known);
    }
    if (known instanceof UnsupportedInputException e) {
      throw new UnsupportedInputException(e.getMessage());
    }
    return (Loop) known;
  }

  private UnsupportedInputException notALoop(String frame, String why, Set<String> involved) {
    List<String> shown = new ArrayList<>(involved).subList(0, Math.min(6, involved.size()));
    return new UnsupportedInputException("the TF1 while loop of frame '" + frame + "' cannot be rebuilt as an ONNX "
        + "Loop: " + why + (shown.isEmpty() ? "" : " (nodes '" + String.join("', '", shown) + "'"
        + (involved.size() > shown.size() ? " and " + (involved.size() - shown.size()) + " more" : "") + ")"));
  }

  private Loop buildLoop(String frame) {
    List<NodeDef> inFrame = new ArrayList<>();
    Set<String> conflicting = new TreeSet<>();
    for (NodeDef n : nodes.values()) {
      boolean member = frameOf(n.getName()).equals(frame) || isEnter(n) && frameName(n).equals(frame);
      if (member) {
        inFrame.add(n);
        if (conflicts.containsKey(n.getName())) {
          conflicting.add(n.getName());
        }
      }
    }
    if (!conflicting.isEmpty()) {
      throw notALoop(frame, conflicts.get(conflicting.iterator().next()), conflicting);
    }
    List<NodeDef> loopConds = inFrame.stream().filter(n -> n.getOp().equals("LoopCond") && !isEnter(n)).toList();
    if (loopConds.size() != 1) {
      throw notALoop(frame, "it has " + loopConds.size() + " LoopCond nodes, not one",
          names(loopConds));
    }
    NodeDef loopCond = loopConds.get(0);
    List<LoopVar> vars = new ArrayList<>();
    List<NodeDef> invariants = new ArrayList<>();
    Set<String> covered = new LinkedHashSet<>();
    for (NodeDef enter : inFrame) {
      if (!isEnter(enter) || !frameName(enter).equals(frame)) {
        continue;
      }
      if (isConstantEnter(enter)) {
        invariants.add(enter);
        continue;
      }
      List<NodeDef> users = users(enter.getName());
      if (users.size() != 1 || !isMerge(users.get(0)) || users.get(0).getInputCount() != 2) {
        throw notALoop(frame, "loop variable Enter '" + enter.getName() + "' does not feed exactly one two-input "
            + "Merge", names(users));
      }
      NodeDef merge = users.get(0);
      NodeDef next = null;
      for (String in : merge.getInputList()) {
        NodeDef src = nodes.get(TensorRef.parse(in).node());
        if (src != null && isNextIteration(src)) {
          next = src;
        }
      }
      if (next == null) {
        throw notALoop(frame, "Merge '" + merge.getName() + "' has no NextIteration input", Set.of(merge.getName()));
      }
      List<NodeDef> switches = users(merge.getName()).stream().filter(ControlFlowFrames::isSwitch).toList();
      if (switches.size() != 1 || !TensorRef.parse(switches.get(0).getInput(1)).node().equals(loopCond.getName())) {
        throw notALoop(frame, "Merge '" + merge.getName() + "' is not switched by the loop's LoopCond exactly once",
            names(switches));
      }
      NodeDef sw = switches.get(0);
      List<NodeDef> exits = new ArrayList<>();
      for (NodeDef u : users(sw.getName())) {
        if (isExit(u)) {
          exits.add(u);
        }
      }
      covered.add(sw.getName());
      vars.add(new LoopVar(enter, merge, next, sw, exits));
    }
    for (NodeDef n : inFrame) {
      if (isSwitch(n) && isLoopSwitch(n) && TensorRef.parse(n.getInput(1)).node().equals(loopCond.getName())
          && !covered.contains(n.getName())) {
        throw notALoop(frame, "Switch '" + n.getName() + "' on the LoopCond switches no loop variable",
            Set.of(n.getName()));
      }
    }
    if (vars.isEmpty()) {
      throw notALoop(frame, "it carries no value (no non-constant Enter)", names(inFrame));
    }
    return new Loop(frame, vars, invariants, loopCond);
  }

  private List<NodeDef> users(String node) {
    List<NodeDef> out = new ArrayList<>();
    for (String c : new LinkedHashSet<>(consumers.getOrDefault(node, List.of()))) {
      out.add(nodes.get(c));
    }
    return out;
  }

  private static Set<String> names(List<NodeDef> ns) {
    Set<String> out = new TreeSet<>();
    ns.forEach(n -> out.add(n.getName()));
    return out;
  }

  /** The cond a (non-loop) Merge closes; refused naming the Merge and Switches when it is not one. */
  Cond condOf(NodeDef merge) {
    Object known = conds.get(merge.getName());
    if (known == BUILDING) {
      throw notACond(merge, "its branches read its own result");
    }
    if (known == null) {
      conds.put(merge.getName(), BUILDING);
      try {
        known = buildCond(merge);
      } catch (UnsupportedInputException e) {
        known = e;
      }
      conds.put(merge.getName(), known);
    }
    if (known instanceof UnsupportedInputException e) {
      throw new UnsupportedInputException(e.getMessage());
    }
    return (Cond) known;
  }

  private UnsupportedInputException notACond(NodeDef merge, String why) {
    return new UnsupportedInputException("the TF1 cond closed by Merge '" + merge.getName() + "' cannot be rebuilt "
        + "as an ONNX If: " + why);
  }

  /**
   * Each Merge input's branch is what it computes from the nearest Switch outputs upstream (over data and control
   * edges, as TF propagates a branch's deadness); both branches must be switched by one predicate, from opposite
   * sides. What the branches read without passing a Switch is computed outside, before the If.
   */
  private Cond buildCond(NodeDef merge) {
    List<String> data = merge.getInputList().stream().filter(i -> !TensorRef.parse(i).control()).toList();
    if (data.size() != 2) {
      throw notACond(merge, "it merges " + data.size() + " values, not the two branches of a cond");
    }
    if (conflicts.containsKey(merge.getName())) {
      throw notACond(merge, conflicts.get(merge.getName()));
    }
    String pred = null;
    String[] result = new String[2];
    List<Map<String, String>> switched = new ArrayList<>(List.of(new LinkedHashMap<>(), new LinkedHashMap<>()));
    Set<String> outer = new LinkedHashSet<>();
    int[] sideOfInput = new int[2];
    for (int j = 0; j < 2; j++) {
      Map<String, String> sw = new LinkedHashMap<>();
      Set<Integer> sides = new TreeSet<>();
      Set<String> preds = new TreeSet<>();
      Set<String> branch = new LinkedHashSet<>();
      Map<String, Boolean> reaches = new HashMap<>();
      TensorRef top = TensorRef.parse(data.get(j));
      NodeDef topNode = nodes.get(top.node());
      if (topNode != null && isSwitch(topNode) && !isLoopSwitch(topNode)) {
        // the branch passes a switched value straight through
        sides.add(top.index());
        preds.add(predicate(topNode));
        sw.put(top.tensorName(), TensorRef.parse(topNode.getInput(0)).tensorName());
      } else if (topNode != null) {
        walk(topNode, sw, sides, preds, branch, reaches, merge);
      }
      if (sides.size() != 1) {
        throw notACond(merge, "its input " + j + " (" + data.get(j) + ") is " + (sides.isEmpty()
            ? "reached by no Switch" : "reached from both sides of a Switch") + ", so which branch it is in is not "
            + "provable");
      }
      if (preds.size() != 1 || pred != null && !pred.equals(preds.iterator().next())) {
        throw notACond(merge, "its branches are switched by different predicates " + preds + (pred == null ? ""
            : " and " + pred));
      }
      pred = preds.iterator().next();
      sideOfInput[j] = sides.iterator().next();
      result[sideOfInput[j]] = data.get(j);
      switched.set(sideOfInput[j], sw);
      if (branch.isEmpty() && !sw.containsKey(top.tensorName())) {
        outer.add(top.tensorName());
      }
      for (String b : branch) {
        for (TensorRef r : effectiveInputs(nodes.get(b))) {
          if (!r.control() && !branch.contains(r.node()) && !sw.containsKey(r.tensorName())) {
            outer.add(r.tensorName());
          }
        }
      }
    }
    if (sideOfInput[0] == sideOfInput[1]) {
      throw notACond(merge, "both its inputs come from the " + (sideOfInput[0] == 1 ? "true" : "false") + " side of "
          + "the Switch");
    }
    outer.add(pred);
    for (Map<String, String> sw : switched) {
      outer.addAll(sw.values());
    }
    return new Cond(merge, pred, result, switched, new ArrayList<>(outer));
  }

  /**
   * The tensor a Switch is switched by, seen through Identity: tf.cond switches its inputs by {@code pred_id}, an
   * Identity of the predicate, and its own pivots by the predicate itself.
   */
  private String predicate(NodeDef sw) {
    TensorRef r = TensorRef.parse(sw.getInput(1));
    for (int hops = 0; hops < 1000; hops++) {
      NodeDef n = nodes.get(r.node());
      if (n == null || !n.getOp().equals("Identity") || n.getInputCount() == 0
          || TensorRef.parse(n.getInput(0)).control()) {
        break;
      }
      r = TensorRef.parse(n.getInput(0));
    }
    return r.tensorName();
  }

  /** Whether n depends on a cond Switch output (recording the Switch edges met and the in-branch nodes). */
  private boolean walk(NodeDef n, Map<String, String> sw, Set<Integer> sides, Set<String> preds, Set<String> branch,
      Map<String, Boolean> reaches, NodeDef merge) {
    Boolean known = reaches.get(n.getName());
    if (known != null) {
      return known;
    }
    reaches.put(n.getName(), false); // cycles end here (they pass a loop's Merge, which is no branch node)
    if (isEnter(n) || isMerge(n) && isLoopMerge(n) || isSwitch(n) && isLoopSwitch(n) || n.getInputCount() == 0) {
      return false;
    }
    boolean any = false;
    for (TensorRef r : n == merge ? n.getInputList().stream().map(TensorRef::parse).toList() : effectiveInputs(n)) {
      NodeDef src = nodes.get(r.node());
      if (src == null) {
        continue;
      }
      if (isSwitch(src) && !isLoopSwitch(src)) {
        if (r.control()) {
          throw notACond(merge, "node '" + n.getName() + "' waits on Switch '" + src.getName() + "' itself, which "
              + "does not say which branch it belongs to");
        }
        sides.add(r.index());
        preds.add(predicate(src));
        sw.put(r.tensorName(), TensorRef.parse(src.getInput(0)).tensorName());
        any = true;
      } else if (walk(src, sw, sides, preds, branch, reaches, merge)) {
        any = true;
      }
    }
    reaches.put(n.getName(), any);
    if (any) {
      branch.add(n.getName());
    }
    return any;
  }
}
