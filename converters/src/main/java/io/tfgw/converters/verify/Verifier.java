package io.tfgw.converters.verify;

import io.tfgw.converters.model.Model;
import io.tfgw.converters.model.Signature;
import io.tfgw.converters.model.TensorSpec;
import io.tfgw.core.WrongInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code tfgw verify}: runs two models in tfgw's runtime on the same inputs and compares every output bit for bit,
 * reporting the largest absolute difference and the largest distance in ulps where they differ. Under a {@link
 * Tolerance} other than exact, float outputs whose bits differ pass as {@link Status#WITHIN_TOLERANCE} when every
 * element is within it.
 *
 * <p>Each model runs in its own session, loaded afresh, so both start from their saved variables and go through the
 * same states when their signatures update variables. An output that depends on an unseeded random op (TF draws its
 * seed from the clock: two TF sessions disagree on it too) is {@link Status#NONDETERMINISTIC}, not a difference,
 * as long as both sides agree on its dtype and shape.
 *
 * <p>Inputs are given, or generated from the first model's input signature ({@code samples} batches from a seeded
 * generator: floats uniform in [-1, 1), integers in [0, 10), booleans, strings of 0-8 lowercase letters; unknown
 * dimensions become 2). The second model is fed under the same signature keys when it has them, otherwise under
 * the first model's tensor names — which is what conversions keep. When the first model has no signatures (a
 * {@code .meta}), the second's signature (or a frozen graph's placeholders and final nodes) names the inputs and
 * outputs of both, by tensor name, and the report says so.
 */
public final class Verifier {
  private Verifier() {}

  /** What the comparison of one output found. */
  public enum Status {
    /** Bit-identical on every sample. */
    IDENTICAL,
    /** Different bits, but every element of every sample within the tolerance (never under an exact one). */
    WITHIN_TOLERANCE,
    /** Different bits beyond the tolerance (on a deterministic output), or another dtype or shape. */
    DIFFERENT,
    /** Depends on an unseeded random op on either side, so not comparable; same dtype and shape. */
    NONDETERMINISTIC;

    /**
     * The name used in JSON and tables: {@code identical}, {@code within_tolerance}, {@code different}, {@code
     * nondeterministic}.
     */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One output of both models ({@code dtype} is A's). {@code identical}: the bits were the same on every sample
   * (which a nondeterministic output can happen to be); {@code nondeterministic}: either side's value depends on an
   * unseeded random op on some sample. {@code scaledDiff}: the largest difference in the tolerance's unit (ulps of
   * A's largest finite magnitude for {@code ulp:N}, fractions of it for {@code rel:X}; infinite where NaN or an
   * infinity is not matched or a non-float output differs; 0 when identical or under an exact tolerance).
   */
  public record Comparison(String output, DType dtype, DType dtypeB, Shape shapeA, Shape shapeB, boolean identical,
      double maxAbsDiff, long maxUlp, long differing, boolean nondeterministic, Tolerance tolerance,
      double scaledDiff) {
    public Status status() {
      boolean sameType = dtype == dtypeB && shapeA.equals(shapeB);
      if (nondeterministic && sameType) {
        return Status.NONDETERMINISTIC;
      }
      if (identical) {
        return Status.IDENTICAL;
      }
      return sameType && !tolerance.isExact() && scaledDiff <= tolerance.amount() ? Status.WITHIN_TOLERANCE
          : Status.DIFFERENT;
    }
  }

  /**
   * All outputs over all samples under one tolerance; {@code notes} say where the compared names came from when it
   * was not A's signature.
   */
  public record Report(List<Comparison> outputs, int samples, Tolerance tolerance, List<String> notes) {
    /** No output is {@link Status#DIFFERENT}: what decides {@code verify}'s exit code. */
    public boolean passed() {
      return outputs.stream().noneMatch(c -> c.status() == Status.DIFFERENT);
    }

    /** Every deterministic output is bit-identical on every sample (none merely within the tolerance). */
    public boolean identical() {
      return outputs.stream().allMatch(c -> c.status() == Status.IDENTICAL || c.status() == Status.NONDETERMINISTIC);
    }

    /** The outputs that depend on an unseeded random op. */
    public List<String> nondeterministic() {
      return outputs.stream().filter(c -> c.status() == Status.NONDETERMINISTIC).map(Comparison::output).toList();
    }
  }

  /**
   * The side that names the inputs and outputs compared: A's signature; else A's placeholders and final nodes when A
   * is a frozen graph; else, when A has neither (a {@code .meta}), B's signature, used by tensor name for both
   * models; else frozen graph B's placeholders and final nodes; else A's placeholders (outputs must then be named).
   *
   * @param model the model whose names are used
   * @param signature its signature, or null (then names are tensor names)
   * @param note why the names are not A's, or null when they are A's
   */
  public record Interface(Model model, Signature signature, String note) {
    /** Whether the names come from B's signature and are translated to tensor names for both models. */
    boolean fromSignatureOfB(Model a) {
      return model != a && signature != null;
    }
  }

  /** Which model's signature (or graph) names what {@code verify} feeds and compares; see {@link Interface}. */
  public static Interface interfaceOf(Model a, Model b, String signature) {
    if (!a.signatures().isEmpty()) {
      return new Interface(a, a.signature(signature), null);
    }
    if (a.format().equals("frozen") && signature == null) {
      return new Interface(a, null, null); // a frozen graph names its outputs: its final nodes
    }
    String what = "A (" + a.format() + (a.location() == null ? "" : " " + a.location()) + ") has no signatures";
    if (!b.signatures().isEmpty()) {
      Signature sigB = b.signature(signature);
      return new Interface(b, sigB, what + ": using B's signature '" + sigB.key() + "' by tensor name for both models");
    }
    if (signature != null) {
      a.signature(signature); // neither model has it: the usual error naming A's signatures
    }
    if (b.format().equals("frozen")) {
      return new Interface(b, null, what + ": using frozen graph B's placeholders and final nodes by tensor name for "
          + "both models");
    }
    return new Interface(a, null, null);
  }

  /**
   * Runs both models on every sample (inputs by signature key or tensor name) and compares the {@code outputs}
   * (default: those of the side that names them, see {@link #interfaceOf}) bit for bit.
   */
  public static Report verify(Model a, Model b, String signature, List<Map<String, Tensor>> samples, List<String> outputs) {
    return verify(a, b, signature, samples, outputs, Tolerance.EXACT);
  }

  /**
   * The tolerance {@code verify} applies when none is given: {@link Tolerance#ONNX} when either model is an ONNX
   * file (ONNX export and import rewrite float arithmetic by design: folded batch norms, pre-transposed weights,
   * NCHW kernels), exact otherwise.
   */
  public static Tolerance defaultTolerance(Model a, Model b) {
    return a.format().equals("onnx") || b.format().equals("onnx") ? Tolerance.ONNX : Tolerance.EXACT;
  }

  /** As above, float outputs compared under {@code tolerance}. */
  public static Report verify(Model a, Model b, String signature, List<Map<String, Tensor>> samples,
      List<String> outputs, Tolerance tolerance) {
    Interface iface = interfaceOf(a, b, signature);
    Signature sigA = iface.model() == a ? iface.signature() : null;
    List<String> compared = outputs;
    List<String> notes = new ArrayList<>();
    if (iface.model() != a) {
      if (compared.isEmpty()) {
        compared = iface.signature() != null
            ? iface.signature().outputs().values().stream().map(TensorSpec::tensorName).toList()
            : b.defaultOutputs(null);
      }
      notes.add(iface.note() + " (inputs " + String.join(", ", iface.signature() != null
          ? iface.signature().inputs().values().stream().map(TensorSpec::tensorName).toList()
          : List.copyOf(b.graphInputs().keySet())) + "; outputs " + String.join(", ", compared) + ")");
    }
    Map<String, Comparison> merged = new LinkedHashMap<>();
    for (Map<String, Tensor> given : samples) {
      Map<String, Tensor> inputs = iface.fromSignatureOfB(a) ? byTensorName(iface.signature(), given) : given;
      Model.Outputs resultA = a.evaluate(sigA == null ? null : sigA.key(), inputs, compared);
      Map<String, Tensor> outA = resultA.values();
      Map<String, Tensor> inB = new LinkedHashMap<>();
      List<String> outNamesB = new ArrayList<>();
      Signature sigB = iface.fromSignatureOfB(a) ? iface.signature() : matchingSignature(b, sigA);
      boolean byKeyInB = sigB != null && sigA != null;
      java.util.Set<String> placeholdersB = b.graphInputs().keySet();
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        String name = byKeyInB || sigA == null ? e.getKey() : a.inputSpec(sigA, e.getKey()).tensorName();
        if (sigB == null && !placeholdersB.contains(name.contains(":") ? name : name + ":0")) {
          continue; // pruned away by the conversion (a label placeholder the outputs never needed)
        }
        inB.put(name, e.getValue());
      }
      for (String name : outA.keySet()) {
        boolean byKey = byKeyInB && sigB.outputs().containsKey(name);
        outNamesB.add(byKey || sigA == null ? name : sigA.outputs().get(name).tensorName());
      }
      Model.Outputs resultB = b.evaluate(sigB == null ? null : sigB.key(), inB, outNamesB);
      int i = 0;
      for (Map.Entry<String, Tensor> e : outA.entrySet()) {
        String nameB = outNamesB.get(i++);
        boolean nondeterministic = resultA.nondeterministic().contains(e.getKey())
            || resultB.nondeterministic().contains(nameB);
        Comparison c = compare(e.getKey(), e.getValue(), resultB.values().get(nameB), nondeterministic, tolerance);
        merged.merge(e.getKey(), c, Verifier::worst);
      }
    }
    List<Comparison> list = new ArrayList<>(merged.values());
    return new Report(list, samples.size(), tolerance, notes);
  }

  /** Inputs named by a signature's keys, renamed to the signature's tensor names (tensor names pass unchanged). */
  private static Map<String, Tensor> byTensorName(Signature sig, Map<String, Tensor> inputs) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    inputs.forEach((k, v) -> out.put(sig.inputs().containsKey(k) ? sig.inputs().get(k).tensorName() : k, v));
    return out;
  }

  /** B's signature with A's key, when B has signatures at all. */
  private static Signature matchingSignature(Model b, Signature sigA) {
    if (sigA == null || b.signatures().isEmpty()) {
      return null;
    }
    Signature s = b.signatures().get(sigA.key());
    if (s == null) {
      s = b.signature(null);
    }
    return s.inputs().keySet().containsAll(sigA.inputs().keySet()) ? s : null;
  }

  /** The two comparisons of one output merged: a mismatch of dtype or shape on any sample stays visible. */
  private static Comparison worst(Comparison x, Comparison y) {
    boolean xSame = x.dtype() == x.dtypeB() && x.shapeA().equals(x.shapeB());
    Comparison shown = xSame ? y : x;
    return new Comparison(x.output(), shown.dtype(), shown.dtypeB(), shown.shapeA(), shown.shapeB(),
        x.identical() && y.identical(), Math.max(x.maxAbsDiff(), y.maxAbsDiff()), Math.max(x.maxUlp(), y.maxUlp()),
        x.differing() + y.differing(), x.nondeterministic() || y.nondeterministic(), x.tolerance(),
        Math.max(x.scaledDiff(), y.scaledDiff()));
  }

  static Comparison compare(String name, Tensor a, Tensor b) {
    return compare(name, a, b, false, Tolerance.EXACT);
  }

  static Comparison compare(String name, Tensor a, Tensor b, boolean nondeterministic, Tolerance tolerance) {
    if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
      return new Comparison(name, a.dtype(), b.dtype(), a.shape(), b.shape(), false, Double.POSITIVE_INFINITY,
          Long.MAX_VALUE, a.size(), nondeterministic, tolerance, Double.POSITIVE_INFINITY);
    }
    byte[] ba = a.canonicalBytes();
    byte[] bb = b.canonicalBytes();
    if (java.util.Arrays.equals(ba, bb)) {
      return new Comparison(name, a.dtype(), b.dtype(), a.shape(), b.shape(), true, 0, 0, 0, nondeterministic,
          tolerance, 0);
    }
    double maxAbs = 0;
    long maxUlp = 0;
    long differing = 0;
    if (a.dtype() == DType.FLOAT) {
      float[] x = a.floats();
      float[] y = b.floats();
      for (int i = 0; i < x.length; i++) {
        int ix = Float.floatToRawIntBits(x[i]);
        int iy = Float.floatToRawIntBits(y[i]);
        if (ix != iy) {
          differing++;
          maxAbs = Math.max(maxAbs, Math.abs((double) x[i] - y[i]));
          maxUlp = Math.max(maxUlp, Math.abs(ordered(ix) - (long) ordered(iy)));
        }
      }
    } else if (a.dtype() == DType.DOUBLE) {
      double[] x = (double[]) a.array();
      double[] y = (double[]) b.array();
      for (int i = 0; i < x.length; i++) {
        long ix = Double.doubleToRawLongBits(x[i]);
        long iy = Double.doubleToRawLongBits(y[i]);
        if (ix != iy) {
          differing++;
          maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
          long d = ordered(ix) - ordered(iy);
          maxUlp = Math.max(maxUlp, d == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(d));
        }
      }
    } else {
      differing = a.size();
      maxAbs = Double.NaN;
      maxUlp = -1;
    }
    if (Double.isNaN(maxAbs) && a.dtype().isFloating()) {
      maxAbs = Double.POSITIVE_INFINITY;
    }
    return new Comparison(name, a.dtype(), b.dtype(), a.shape(), b.shape(), false, maxAbs, maxUlp, differing,
        nondeterministic, tolerance, scaledDiff(a, b, tolerance));
  }

  /**
   * The largest elementwise difference of two float tensors of one dtype and shape in the tolerance's unit (see
   * {@link Tolerance}): NaN meets NaN and an infinity the same infinity at no cost, anything else non-finite at an
   * infinite one; other dtypes (compared exactly) and exact tolerances give infinity for any difference.
   */
  private static double scaledDiff(Tensor a, Tensor b, Tolerance tolerance) {
    if (tolerance.isExact() || (a.dtype() != DType.FLOAT && a.dtype() != DType.DOUBLE)) {
      return Double.POSITIVE_INFINITY;
    }
    int n = (int) a.size();
    double largest = 0;
    for (int i = 0; i < n; i++) {
      double v = Math.abs(a.getDouble(i));
      if (v > largest && v != Double.POSITIVE_INFINITY) {
        largest = v;
      }
    }
    double unit = tolerance.unit(a.dtype(), largest);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double x = a.getDouble(i);
      double y = b.getDouble(i);
      if (x == y || (Double.isNaN(x) && Double.isNaN(y))) {
        continue; // also +0 vs -0: the same value under a tolerance
      }
      if (!Double.isFinite(x) || !Double.isFinite(y)) {
        return Double.POSITIVE_INFINITY;
      }
      double diff = Math.abs(x - y);
      worst = Math.max(worst, unit == 0 ? Double.POSITIVE_INFINITY : diff / unit);
    }
    return worst;
  }

  /** Float bits mapped so that adjacent floats are adjacent integers (negative numbers mirrored). */
  private static int ordered(int bits) {
    return bits < 0 ? Integer.MIN_VALUE - bits : bits;
  }

  private static long ordered(long bits) {
    return bits < 0 ? Long.MIN_VALUE - bits : bits;
  }

  /** Generated inputs for a model's signature (or its placeholders): {@code samples} seeded batches. */
  public static List<Map<String, Tensor>> samples(Model model, String signature, int samples, long seed) {
    return samples(new Interface(model, model.signature(signature), null), samples, seed);
  }

  /**
   * Generated inputs for what {@code verify} feeds (see {@link #interfaceOf}): the signature's inputs by key, or the
   * placeholders by tensor name; {@code samples} seeded batches.
   */
  public static List<Map<String, Tensor>> samples(Interface iface, int samples, long seed) {
    Signature sig = iface.signature();
    Map<String, TensorSpec> specs = sig != null ? sig.inputs() : iface.model().graphInputs();
    Random rnd = new Random(seed);
    List<Map<String, Tensor>> out = new ArrayList<>();
    for (int s = 0; s < samples; s++) {
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      for (Map.Entry<String, TensorSpec> e : specs.entrySet()) {
        inputs.put(e.getKey(), generate(e.getKey(), e.getValue(), rnd));
      }
      out.add(inputs);
    }
    return out;
  }

  private static Tensor generate(String name, TensorSpec spec, Random rnd) {
    if (spec.dtype() == null) {
      throw new WrongInputException("Cannot generate input '" + name + "': its dtype is unknown; give inputs with --inputs");
    }
    if (spec.shape() == null) {
      throw new WrongInputException("Cannot generate input '" + name + "': the model does not say its shape (unknown "
          + "rank); give inputs with --inputs FILE.json or --input NAME=FILE.npy");
    }
    long[] dims = spec.shape().clone();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        dims[i] = 2;
      }
    }
    int n = (int) Shape.of(dims).numElements();
    switch (spec.dtype()) {
      case FLOAT: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(dims, v);
      }
      case DOUBLE: {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextDouble() * 2 - 1;
        }
        return Tensor.ofDoubles(dims, v);
      }
      case INT32: {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextInt(10);
        }
        return Tensor.ofInts(dims, v);
      }
      case INT64: {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextInt(10);
        }
        return Tensor.ofLongs(dims, v);
      }
      case BOOL: {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextBoolean();
        }
        return Tensor.ofBools(dims, v);
      }
      case STRING: {
        byte[][] v = new byte[n][];
        for (int i = 0; i < n; i++) {
          byte[] s = new byte[rnd.nextInt(9)];
          for (int j = 0; j < s.length; j++) {
            s[j] = (byte) ('a' + rnd.nextInt(26));
          }
          v[i] = s;
        }
        return Tensor.ofStrings(dims, v);
      }
      default:
        throw new WrongInputException("Cannot generate " + spec.dtype() + " input '" + name + "'; give inputs with --inputs");
    }
  }
}
