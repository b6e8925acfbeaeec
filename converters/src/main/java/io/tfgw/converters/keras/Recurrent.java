package io.tfgw.converters.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.tfgw.converters.keras.KerasGraphBuilder.KTensor;
import io.tfgw.proto.NodeDef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * SimpleRNN, LSTM and GRU (and Bidirectional around them), unrolled over the known number of time steps into plain
 * ops (Unpack, MatMul, BiasAdd, Split, the activations, Mul, Add, Pack), starting from zero states as Keras does at
 * inference. Gate orders are Keras's: LSTM i, f, c, o; GRU z, r, h (with {@code reset_after} a [2, 3u] bias of input
 * and recurrent parts).
 */
final class Recurrent {
  private final KerasGraphBuilder builder;
  private final KerasGraphBuilder.Layer layer;
  private final GraphOps g;

  Recurrent(KerasGraphBuilder builder, KerasGraphBuilder.Layer layer) {
    this.builder = builder;
    this.layer = layer;
    this.g = builder.ops();
  }

  KTensor build() {
    KTensor x = layer.input();
    if (layer.spec.className().equals("Bidirectional")) {
      return bidirectional(x);
    }
    Cell cell = cell(layer.spec.className(), layer.spec.config(), "", x);
    List<String> w = layer.weights(cell.roles, cell.shapes);
    return run(cell, layer.spec.config(), x, w, "", layer.spec.config().path("go_backwards").asBoolean(false));
  }

  private KTensor bidirectional(KTensor x) {
    JsonNode inner = layer.get("layer");
    String cls = inner.path("class_name").asText();
    if (!List.of("SimpleRNN", "LSTM", "GRU").contains(cls)) {
      throw layer.fail("wraps a " + cls + "; Bidirectional is supported around SimpleRNN, LSTM and GRU");
    }
    JsonNode cfg = inner.get("config");
    String mergeMode = layer.str("merge_mode", "concat");
    Cell fw = cell(cls, cfg, "forward/", x);
    Cell bw = cell(cls, cfg, "backward/", x);
    List<String> roles = new ArrayList<>(fw.roles);
    roles.addAll(bw.roles);
    List<long[]> shapes = new ArrayList<>(fw.shapes);
    shapes.addAll(bw.shapes);
    List<String> w = layer.weights(roles, shapes);
    int n = fw.roles.size();
    boolean backwardsFlag = cfg.path("go_backwards").asBoolean(false);
    KTensor f = run(fw, cfg, x, w.subList(0, n), "forward/", backwardsFlag);
    KTensor b = run(bw, cfg, x, w.subList(n, 2 * n), "backward/", !backwardsFlag);
    String s = layer.scope;
    String out = switch (mergeMode) {
      case "concat" -> g.add(g.node(s + "/concat", "ConcatV2", f.name(), b.name(),
          g.constInt(s + "/concat_axis", f.rank() - 1)).putAttr("N", GraphOps.i(2)).putAttr("T", GraphOps.FLOAT)
          .putAttr("Tidx", GraphOps.INT32));
      case "sum" -> layer.op("Add", f.name(), b.name());
      case "mul" -> layer.op("Mul", f.name(), b.name());
      case "ave" -> layer.op("RealDiv", layer.op("Add", f.name(), b.name()), g.constFloat(s + "/two", 2f));
      default -> throw layer.fail("uses merge_mode " + mergeMode + "; concat, sum, mul and ave are supported");
    };
    long[] shape = f.shape().clone();
    if (mergeMode.equals("concat")) {
      shape[shape.length - 1] *= 2;
    }
    return new KTensor(out, shape);
  }

  private record Cell(String cls, int units, long features, boolean bias, boolean resetAfter, List<String> roles,
      List<long[]> shapes) {}

  private Cell cell(String cls, JsonNode cfg, String prefix, KTensor x) {
    if (x.rank() != 3) {
      throw layer.fail("needs a 3-D input (batch, steps, features), got " + KerasGraphBuilder.show(x.shape()));
    }
    if (cfg.path("return_state").asBoolean(false)) {
      throw layer.fail("returns its states (return_state), which is not supported");
    }
    if (cfg.path("time_major").asBoolean(false)) {
      throw layer.fail("is time-major, which is not supported");
    }
    if (x.shape()[1] < 0) {
      throw layer.fail("needs a known number of time steps to be unrolled, but the input shape leaves it open");
    }
    int units = cfg.path("units").asInt(cfg.path("output_dim").asInt(-1));
    long features = x.shape()[2];
    if (features < 0) {
      throw layer.fail("needs a known number of input features");
    }
    boolean bias = cfg.path("use_bias").asBoolean(true);
    boolean resetAfter = cls.equals("GRU") && cfg.path("reset_after").asBoolean(false);
    int gates = switch (cls) {
      case "LSTM" -> 4;
      case "GRU" -> 3;
      default -> 1;
    };
    List<String> roles = new ArrayList<>(List.of(prefix + "kernel", prefix + "recurrent_kernel"));
    List<long[]> shapes = new ArrayList<>(List.of(new long[] {features, (long) gates * units},
        new long[] {units, (long) gates * units}));
    if (bias) {
      roles.add(prefix + "bias");
      shapes.add(resetAfter ? new long[] {2, (long) gates * units} : new long[] {(long) gates * units});
    }
    return new Cell(cls, units, features, bias, resetAfter, roles, shapes);
  }

  private KTensor run(Cell cell, JsonNode cfg, KTensor x, List<String> w, String prefix, boolean backwards) {
    int steps = (int) x.shape()[1];
    String s = layer.scope + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
    String act = text(cfg.get("activation"), "tanh");
    String recAct = text(cfg.get("recurrent_activation"), "hard_sigmoid");
    String kernel = w.get(0);
    String rec = w.get(1);
    String biasIn = null;
    String biasRec = null;
    if (cell.bias()) {
      if (cell.resetAfter()) {
        String unpacked = g.add(g.node(s + "/bias_unstack", "Unpack", w.get(2)).putAttr("T", GraphOps.FLOAT)
            .putAttr("num", GraphOps.i(2)).putAttr("axis", GraphOps.i(0)));
        biasIn = unpacked + ":0";
        biasRec = unpacked + ":1";
      } else {
        biasIn = w.get(2);
      }
    }
    String unstacked = g.add(g.node(s + "/unstack", "Unpack", x.name()).putAttr("T", GraphOps.FLOAT)
        .putAttr("num", GraphOps.i(steps)).putAttr("axis", GraphOps.i(1)));
    List<Integer> order = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      order.add(t);
    }
    if (backwards) {
      Collections.reverse(order);
    }
    String h = null;
    String c = null;
    List<String> outputs = new ArrayList<>();
    for (int t : order) {
      String xt = unstacked + (t == 0 ? "" : ":" + t);
      String step = s + "/step_" + outputs.size();
      String xw = matmul(step + "/MatMul", xt, kernel);
      switch (cell.cls()) {
        case "SimpleRNN": {
          String z = biasIn == null ? xw : biasAdd(step, xw, biasIn);
          if (h != null) {
            z = op(step + "/add", "Add", z, matmul(step + "/MatMul_1", h, rec));
          }
          h = activation(step, z, act);
          break;
        }
        case "LSTM": {
          String z = h == null ? xw : op(step + "/add", "Add", xw, matmul(step + "/MatMul_1", h, rec));
          if (biasIn != null) {
            z = biasAdd(step, z, biasIn);
          }
          String split = split(step, z, 4);
          String i = activation(step + "/i", split, recAct);
          String f = activation(step + "/f", split + ":1", recAct);
          String gg = activation(step + "/g", split + ":2", act);
          String o = activation(step + "/o", split + ":3", recAct);
          String ig = op(step + "/mul", "Mul", i, gg);
          c = c == null ? ig : op(step + "/add_1", "Add", op(step + "/mul_1", "Mul", f, c), ig);
          h = op(step + "/mul_2", "Mul", o, activation(step + "/c", c, act));
          break;
        }
        default: { // GRU
          String xm = biasIn == null ? xw : biasAdd(step, xw, biasIn);
          String xs = split(step + "/x", xm, 3);
          String z;
          String r;
          String hh;
          if (cell.resetAfter()) {
            String inner = h == null ? null : matmul(step + "/MatMul_1", h, rec);
            if (biasRec != null) {
              inner = inner == null ? biasRec : biasAdd(step + "/inner", inner, biasRec);
            }
            if (inner == null) {
              z = activation(step + "/z", xs, recAct);
              hh = activation(step + "/hh", xs + ":2", act);
            } else {
              String is = h == null ? null : split(step + "/inner", inner, 3);
              if (is == null) { // h0 = 0: the recurrent part is its bias alone, a [3u] vector
                is = split1d(step + "/inner", inner, 3);
              }
              z = activation(step + "/z", op(step + "/add_z", "Add", xs, is), recAct);
              r = activation(step + "/r", op(step + "/add_r", "Add", xs + ":1", is + ":1"), recAct);
              hh = activation(step + "/hh", op(step + "/add_h", "Add", xs + ":2",
                  op(step + "/mul_r", "Mul", r, is + ":2")), act);
            }
          } else if (h == null) {
            z = activation(step + "/z", xs, recAct);
            hh = activation(step + "/hh", xs + ":2", act);
          } else {
            String us = g.add(g.node(step + "/split_u", "Split", g.constInt(step + "/split_u_axis", 1), rec)
                .putAttr("T", GraphOps.FLOAT).putAttr("num_split", GraphOps.i(3)));
            z = activation(step + "/z", op(step + "/add_z", "Add", xs, matmul(step + "/MatMul_z", h, us)), recAct);
            r = activation(step + "/r", op(step + "/add_r", "Add", xs + ":1", matmul(step + "/MatMul_r", h, us + ":1")),
                recAct);
            hh = activation(step + "/hh", op(step + "/add_h", "Add", xs + ":2",
                matmul(step + "/MatMul_h", op(step + "/mul_r", "Mul", r, h), us + ":2")), act);
          }
          // h = z * h + (1 - z) * hh
          String oneMinusZ = op(step + "/sub", "Sub", g.constFloat(step + "/one", 1f), z);
          String newPart = op(step + "/mul_hh", "Mul", oneMinusZ, hh);
          h = h == null ? newPart : op(step + "/add_out", "Add", op(step + "/mul_h", "Mul", z, h), newPart);
          break;
        }
      }
      outputs.add(h);
    }
    if (!cfg.path("return_sequences").asBoolean(false)) {
      return new KTensor(h, new long[] {-1, cell.units()});
    }
    List<String> seq = new ArrayList<>(outputs);
    if (prefix.equals("backward/")) {
      Collections.reverse(seq); // Bidirectional re-reverses the backward sequence into input time order
    }
    NodeDef.Builder pack = g.node(s + "/stack", "Pack").putAttr("T", GraphOps.FLOAT).putAttr("N", GraphOps.i(steps))
        .putAttr("axis", GraphOps.i(1));
    seq.forEach(pack::addInput);
    return new KTensor(g.add(pack), new long[] {-1, steps, cell.units()});
  }

  private static String text(JsonNode v, String dflt) {
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (v.isObject()) {
      JsonNode c = v.get("config");
      return c != null && c.isTextual() ? c.asText() : v.path("class_name").asText(dflt);
    }
    return v.asText();
  }

  private String activation(String scope, String x, String name) {
    KerasGraphBuilder.Layer sub = builder.new Layer(layer.spec, scope, layer.inputs, layer.path);
    return builder.activation(sub, x, name);
  }

  private String matmul(String name, String a, String b) {
    return g.add(g.node(name, "MatMul", a, b).putAttr("T", GraphOps.FLOAT)
        .putAttr("transpose_a", GraphOps.b(false)).putAttr("transpose_b", GraphOps.b(false)));
  }

  private String biasAdd(String scope, String x, String bias) {
    return g.add(g.node(scope + "/BiasAdd", "BiasAdd", x, bias).putAttr("T", GraphOps.FLOAT)
        .putAttr("data_format", GraphOps.str("NHWC")));
  }

  private String op(String name, String op, String a, String b) {
    return g.op(name, op, a, b);
  }

  private String split(String scope, String x, int n) {
    return g.add(g.node(scope + "/split", "Split", g.constInt(scope + "/split_axis", 1), x)
        .putAttr("T", GraphOps.FLOAT).putAttr("num_split", GraphOps.i(n)));
  }

  private String split1d(String scope, String x, int n) {
    return g.add(g.node(scope + "/split", "Split", g.constInt(scope + "/split_axis", 0), x)
        .putAttr("T", GraphOps.FLOAT).putAttr("num_split", GraphOps.i(n)));
  }
}
