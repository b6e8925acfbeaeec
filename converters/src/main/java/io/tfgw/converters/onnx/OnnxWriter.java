package io.tfgw.converters.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.tfgw.core.CorruptInputException;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.tensor.DType;
import io.tfgw.proto.onnx.AttributeProto;
import io.tfgw.proto.onnx.GraphProto;
import io.tfgw.proto.onnx.ModelProto;
import io.tfgw.proto.onnx.NodeProto;
import io.tfgw.proto.onnx.OperatorSetIdProto;
import io.tfgw.proto.onnx.StringStringEntryProto;
import io.tfgw.proto.onnx.TensorProto;
import io.tfgw.proto.onnx.TensorShapeProto;
import io.tfgw.proto.onnx.TypeProto;
import io.tfgw.proto.onnx.ValueInfoProto;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes an {@link OnnxGraph} as an ONNX model, streaming: initializers are written one at a time straight from
 * their source (the model is never whole in memory). Models whose weights pass protobuf's 2 GiB limit (or when
 * asked) keep tensors of 1 KiB and more in a side file {@code <model>.data}: raw little-endian bytes at offsets
 * aligned to 4096, named by each tensor's {@code external_data} (location, offset, length). The side file is
 * committed first and the model last, so a model file that exists is always complete.
 */
final class OnnxWriter {
  /** Above this, an inline model would not parse (protobuf's 2 GiB message limit, less room for the graph). */
  static final long INLINE_LIMIT = Integer.MAX_VALUE - (64L << 20);
  static final long EXTERNAL_MIN_BYTES = 1024;
  static final int ALIGNMENT = 4096;
  static final String PRODUCER = "tfgw";

  /** What was written. */
  record Written(long modelBytes, Location dataFile, long dataBytes, int initializers, boolean external) {}

  private final Storage storage;

  OnnxWriter(Storage storage) {
    this.storage = storage;
  }

  /** Constants some node (or a graph output) uses, in first-use order; nodes of subgraphs count too. */
  static List<String> usedConstants(OnnxGraph g) {
    Set<String> used = new LinkedHashSet<>();
    for (String in : g.namesRead()) { // subgraphs' constants too: they are initializers of the main graph
      if (g.constants.containsKey(in)) {
        used.add(in);
      }
    }
    return new ArrayList<>(used);
  }

  static long weightBytes(OnnxGraph g) {
    long total = 0;
    for (String c : usedConstants(g)) {
      total += g.constants.get(c).byteSize();
    }
    return total;
  }

  Written write(OnnxGraph g, Location destination, int opset, String producerVersion, boolean forceExternal) {
    List<String> constants = usedConstants(g);
    long weights = weightBytes(g);
    boolean external = forceExternal || weights > INLINE_LIMIT;
    Location dataFile = destination.parent().resolve(destination.fileName() + ".data");
    List<TensorProto> headers = new ArrayList<>();
    List<Boolean> inline = new ArrayList<>();
    long dataBytes = 0;
    if (external) {
      dataBytes = writeData(g, constants, dataFile, headers, inline);
    } else {
      for (String name : constants) {
        headers.add(header(name, g.constants.get(name)));
        inline.add(true);
      }
    }
    GraphProto.Builder rest = GraphProto.newBuilder().setName("tfgw");
    for (OnnxGraph.Port p : g.inputs) {
      rest.addInput(valueInfo(p));
    }
    for (OnnxGraph.Port p : g.outputs) {
      rest.addOutput(valueInfo(p));
    }
    List<NodeProto> nodes = nodeProtos(g);
    // the graph's length prefix comes first, so its size is summed from the parts before anything is written
    long graphSize = rest.build().getSerializedSize();
    for (NodeProto n : nodes) {
      graphSize += fieldSize(GraphProto.NODE_FIELD_NUMBER, n.getSerializedSize());
    }
    for (int i = 0; i < headers.size(); i++) {
      graphSize += fieldSize(GraphProto.INITIALIZER_FIELD_NUMBER, initializerSize(headers.get(i), inline.get(i),
          g.constants.get(constants.get(i))));
    }
    ModelProto head = ModelProto.newBuilder().setIrVersion(OnnxTypes.irVersion(opset)).setProducerName(PRODUCER)
        .setProducerVersion(producerVersion)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
    long modelBytes;
    try (AtomicOutputStream out = storage.outputFile(destination).create()) {
      CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
      head.writeTo(coded);
      coded.writeTag(ModelProto.GRAPH_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      coded.writeUInt64NoTag(graphSize);
      for (NodeProto n : nodes) {
        coded.writeMessage(GraphProto.NODE_FIELD_NUMBER, n);
      }
      for (int i = 0; i < headers.size(); i++) {
        ConstValue value = g.constants.get(constants.get(i));
        TensorProto h = headers.get(i);
        coded.writeTag(GraphProto.INITIALIZER_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        coded.writeUInt64NoTag(initializerSize(h, inline.get(i), value));
        h.writeTo(coded);
        if (inline.get(i) && value.dtype() != DType.STRING) {
          coded.writeTag(TensorProto.RAW_DATA_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
          coded.writeUInt64NoTag(value.byteSize());
          coded.flush();
          writeExactly(value, out, constants.get(i));
        }
      }
      rest.build().writeTo(coded);
      coded.flush();
      modelBytes = out.position();
      out.commit();
    } catch (IOException e) {
      throw new StorageException("Cannot write " + destination + ": " + e.getMessage(), e);
    }
    return new Written(modelBytes, external ? dataFile : null, dataBytes, constants.size(), external);
  }

  private static List<NodeProto> nodeProtos(OnnxGraph g) {
    List<NodeProto> nodes = new ArrayList<>();
    for (OnnxNode n : g.nodes) {
      NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.op).setName(n.name).addAllInput(n.inputs)
          .addAllOutput(n.outputs);
      b.addAllAttribute(n.attrs.values());
      for (var e : n.subgraphs.entrySet()) {
        b.addAttribute(AttributeProto.newBuilder().setName(e.getKey()).setType(AttributeProto.AttributeType.GRAPH)
            .setG(subgraphProto(e.getValue(), n.name + "/" + e.getKey())));
      }
      nodes.add(b.build());
    }
    return nodes;
  }

  /**
   * A Loop body or If branch: its nodes, inputs and outputs, no initializers (the constants it reads are the top
   * graph's). Outputs declare their element type only, as their shapes may change from one iteration to the next.
   */
  private static GraphProto subgraphProto(OnnxGraph sub, String name) {
    GraphProto.Builder b = GraphProto.newBuilder().setName(name).addAllNode(nodeProtos(sub));
    for (OnnxGraph.Port p : sub.inputs) {
      b.addInput(valueInfo(p, sub.meta(p.name()) != null && sub.meta(p.name()).sequence()));
    }
    for (OnnxGraph.Port p : sub.outputs) {
      b.addOutput(valueInfo(p, sub.meta(p.name()) != null && sub.meta(p.name()).sequence()));
    }
    return b.build();
  }

  private long writeData(OnnxGraph g, List<String> constants, Location dataFile, List<TensorProto> headers,
      List<Boolean> inline) {
    String location = dataFile.fileName();
    try (AtomicOutputStream out = storage.outputFile(dataFile).create()) {
      for (String name : constants) {
        ConstValue value = g.constants.get(name);
        if (value.byteSize() < EXTERNAL_MIN_BYTES || value.dtype() == DType.STRING) {
          headers.add(header(name, value));
          inline.add(true);
          continue;
        }
        long pad = (ALIGNMENT - out.position() % ALIGNMENT) % ALIGNMENT;
        out.write(new byte[(int) pad]);
        long offset = out.position();
        writeExactly(value, out, name);
        headers.add(header(name, value).toBuilder().clearRawData()
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location))
            .addExternalData(entry("offset", Long.toString(offset)))
            .addExternalData(entry("length", Long.toString(value.byteSize()))).build());
        inline.add(false);
      }
      long size = out.position();
      out.commit();
      return size;
    } catch (IOException e) {
      throw new StorageException("Cannot write " + dataFile + ": " + e.getMessage(), e);
    }
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  /** Streams a constant's bytes and checks the source gave exactly as many as its shape says. */
  private static void writeExactly(ConstValue value, OutputStream out, String name) throws IOException {
    long[] count = {0};
    OutputStream counting = new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        out.write(b);
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count[0] += len;
      }

      @Override
      public void close() {}
    };
    value.writeTo(counting);
    if (count[0] != value.byteSize()) {
      throw new CorruptInputException("Constant '" + name + "' gave " + count[0] + " bytes, but its shape needs "
          + value.byteSize());
    }
  }

  private static long fieldSize(int field, long contentSize) {
    return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt64SizeNoTag(contentSize)
        + contentSize;
  }

  private static long initializerSize(TensorProto header, boolean inline, ConstValue value) {
    long size = header.getSerializedSize();
    if (inline && value.dtype() != DType.STRING) {
      size += fieldSize(TensorProto.RAW_DATA_FIELD_NUMBER, value.byteSize());
    }
    return size;
  }

  /** A constant's TensorProto without its raw bytes (strings carry their elements in string_data). */
  static TensorProto header(String name, ConstValue value) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name)
        .setDataType(OnnxTypes.elemType(value.dtype()));
    for (long d : value.dims()) {
      b.addDims(d);
    }
    if (value.dtype() == DType.STRING) {
      for (byte[] s : value.materialize().strings()) {
        b.addStringData(ByteString.copyFrom(s));
      }
    }
    return b.build();
  }

  /** A small constant as a whole TensorProto (node attributes such as ConstantOfShape's value). */
  static TensorProto tensorProto(String name, ConstValue value) {
    TensorProto h = header(name, value);
    if (value.dtype() == DType.STRING) {
      return h;
    }
    Tensor t = value.materialize();
    return h.toBuilder().setRawData(ByteString.copyFrom(t.canonicalBytes())).build();
  }

  static ValueInfoProto valueInfo(OnnxGraph.Port p) {
    return valueInfo(p, false);
  }

  /** A value's declared type: a tensor, or a sequence of tensors (whose shape is that of its elements). */
  static ValueInfoProto valueInfo(OnnxGraph.Port p, boolean sequence) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (p.shape() != null) {
      for (int i = 0; i < p.shape().length; i++) {
        TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
        long v = p.shape()[i];
        if (v >= 0) {
          d.setDimValue(v);
        } else if (p.dimParams() != null && p.dimParams()[i] != null) {
          d.setDimParam(p.dimParams()[i]);
        }
        shape.addDim(d);
      }
    }
    TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(OnnxTypes.elemType(p.dtype()));
    if (p.shape() != null) {
      tt.setShape(shape);
    }
    TypeProto tensor = TypeProto.newBuilder().setTensorType(tt).build();
    TypeProto type = sequence ? TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder()
        .setElemType(tensor)).build() : tensor;
    return ValueInfoProto.newBuilder().setName(p.name()).setType(type).build();
  }
}
