package io.tfgw.runtime;

import io.tfgw.runtime.kernels.Kernels;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The ops the runtime can execute: a kernel per op type, plus the control-flow ops the executor implements itself
 * (Enter, Exit, NextIteration, Merge). Op types that name a function of the graph's library are calls of it.
 */
public final class OpRegistry {
  /** Ops executed by the executor itself rather than by a kernel. */
  static final Set<String> EXECUTOR_OPS = Set.of("Enter", "RefEnter", "Exit", "RefExit", "NextIteration",
      "RefNextIteration", "Merge", "RefMerge", "_Arg");

  /**
   * Output arguments of ops with more than one (name → [offset]), for resolving {@code node:arg:index} inputs in
   * function bodies; ops not listed have a single output argument.
   */
  private static final Map<String, List<String>> MULTI_OUTPUT_ARGS = Map.ofEntries(
      Map.entry("FusedBatchNorm", List.of("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2")),
      Map.entry("FusedBatchNormV2", List.of("y", "batch_mean", "batch_variance", "reserve_space_1",
          "reserve_space_2")),
      Map.entry("FusedBatchNormV3", List.of("y", "batch_mean", "batch_variance", "reserve_space_1",
          "reserve_space_2", "reserve_space_3")),
      Map.entry("Switch", List.of("output_false", "output_true")),
      Map.entry("RefSwitch", List.of("output_false", "output_true")),
      Map.entry("Merge", List.of("output", "value_index")),
      Map.entry("RefMerge", List.of("output", "value_index")),
      Map.entry("Unique", List.of("y", "idx")),
      Map.entry("TopKV2", List.of("values", "indices")),
      Map.entry("BroadcastGradientArgs", List.of("r0", "r1")),
      Map.entry("MaxPoolWithArgmax", List.of("output", "argmax")),
      Map.entry("TensorArrayV3", List.of("handle", "flow")),
      Map.entry("TensorListPopBack", List.of("output_handle", "tensor")),
      Map.entry("TensorListConcat", List.of("tensor", "lengths")),
      Map.entry("TensorListConcatV2", List.of("tensor", "lengths")),
      Map.entry("StatelessRandomGetKeyCounter", List.of("key", "counter")),
      Map.entry("StatelessRandomGetKeyCounterAlg", List.of("key", "counter", "alg")));

  private static final Map<String, OpKernel> KERNELS = new TreeMap<>();

  static {
    Kernels.registerAll(OpRegistry::register);
  }

  private OpRegistry() {}

  private static void register(String op, OpKernel kernel) {
    if (KERNELS.put(op, kernel) != null) {
      throw new IllegalStateException("kernel registered twice: " + op);
    }
  }

  /** The kernel of an op type, or null. */
  static OpKernel kernel(String op) {
    return KERNELS.get(op);
  }

  /** Whether the runtime executes this op type (not counting calls of library functions). */
  public static boolean isSupported(String op) {
    return KERNELS.containsKey(op) || EXECUTOR_OPS.contains(op);
  }

  /** Every supported op type, sorted. */
  public static Set<String> supportedOps() {
    Set<String> all = new TreeSet<>(KERNELS.keySet());
    all.addAll(EXECUTOR_OPS);
    all.remove("_Arg");
    return Collections.unmodifiableSet(all);
  }

  /** Index of the first output of argument {@code arg} of {@code op}, or -1 if the op has no such argument. */
  public static int outputArgOffset(String op, String arg) {
    List<String> args = MULTI_OUTPUT_ARGS.get(op);
    if (args == null) {
      return 0;
    }
    return args.indexOf(arg);
  }
}
