package io.tfgw.converters.onnx.read;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.proto.onnx.ModelProto;
import io.tfgw.proto.onnx.NodeProto;
import io.tfgw.proto.onnx.OperatorSetIdProto;
import io.tfgw.proto.onnx.TensorProto;
import io.tfgw.proto.onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What {@code inspect} shows about an ONNX model beside its initializers: versions, producer, I/O, op histogram. */
public final class OnnxSummary {
  private OnnxSummary() {}

  public static Map<String, Object> describe(Storage storage, Location file) {
    ModelProto m = OnnxFile.read(storage, file).model();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("ir_version", m.getIrVersion());
    List<Map<String, Object>> opsets = new ArrayList<>();
    for (OperatorSetIdProto o : m.getOpsetImportList()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("domain", o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain());
      e.put("version", o.getVersion());
      opsets.add(e);
    }
    d.put("opset_import", opsets);
    d.put("producer_name", m.getProducerName());
    d.put("producer_version", m.getProducerVersion());
    java.util.Set<String> init = new java.util.HashSet<>();
    for (TensorProto t : m.getGraph().getInitializerList()) {
      init.add(t.getName());
    }
    List<Map<String, Object>> inputs = new ArrayList<>();
    for (ValueInfoProto v : m.getGraph().getInputList()) {
      if (!init.contains(v.getName())) {
        inputs.add(io(v));
      }
    }
    d.put("inputs", inputs);
    List<Map<String, Object>> outputs = new ArrayList<>();
    for (ValueInfoProto v : m.getGraph().getOutputList()) {
      outputs.add(io(v));
    }
    d.put("outputs", outputs);
    Map<String, Integer> ops = new TreeMap<>();
    d.put("nodes", countOps(m.getGraph(), ops));
    d.put("ops", ops);
    return d;
  }

  /** Counts a graph's ops into {@code ops}, the nodes of Loop bodies and If branches included; returns the total. */
  private static int countOps(io.tfgw.proto.onnx.GraphProto g, Map<String, Integer> ops) {
    int count = 0;
    for (NodeProto n : g.getNodeList()) {
      String op = (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") ? "" : n.getDomain() + ".")
          + n.getOpType();
      ops.merge(op, 1, Integer::sum);
      count++;
      for (io.tfgw.proto.onnx.AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          count += countOps(a.getG(), ops);
        }
        for (io.tfgw.proto.onnx.GraphProto sub : a.getGraphsList()) {
          count += countOps(sub, ops);
        }
      }
    }
    return count;
  }

  private static Map<String, Object> io(ValueInfoProto v) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("name", v.getName());
    if (v.getType().hasTensorType()) {
      int elem = v.getType().getTensorType().getElemType();
      String dtype;
      try {
        dtype = io.tfgw.converters.onnx.OnnxTypes.dtype(elem).pythonName();
      } catch (io.tfgw.core.UnsupportedInputException ex) {
        dtype = "onnx_type_" + elem;
      }
      e.put("dtype", dtype);
      List<Object> shape = new ArrayList<>();
      if (v.getType().getTensorType().hasShape()) {
        for (var dim : v.getType().getTensorType().getShape().getDimList()) {
          shape.add(dim.hasDimValue() ? (Object) dim.getDimValue() : dim.getDimParam().isEmpty() ? "?" : dim.getDimParam());
        }
        e.put("shape", shape);
      }
    } else {
      e.put("dtype", "non-tensor");
    }
    return e;
  }
}
