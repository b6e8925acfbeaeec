package io.tfgw.converters.graph;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.runtime.LookupTable;
import io.tfgw.runtime.Session;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.proto.AttrValue;
import io.tfgw.proto.DataType;
import io.tfgw.proto.NodeDef;
import io.tfgw.proto.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lookup tables of a graph being frozen. A frozen GraphDef has no init op run by a loader and no assets/, so a
 * table the outputs use is written with its contents: Consts of its keys and values and an InitializeTableV2 that
 * fills it from them, under a NoOp {@code init_all_tables} (the name TF1's {@code tf.tables_initializer()} gives
 * its op, which users of frozen graphs already run once before lookups; tfgw's runtime runs it when it loads a
 * frozen graph). The contents are what the model's own initialiser put in the table when it was loaded in the
 * runtime, so a vocabulary asset is read once, at conversion time. Mutable tables, whose contents change as the
 * model runs, are refused.
 */
public final class LookupTables {
  /** The op TF1's tables_initializer() creates and users of frozen graphs run. */
  public static final String INIT_ALL_TABLES = "init_all_tables";

  /** Ops creating a table that is filled once by an initialiser. */
  static final Set<String> INITIALIZABLE = Set.of("HashTableV2", "HashTable");
  /** Ops creating tables that change as the graph runs, or exist per run. */
  static final Set<String> MUTABLE = Set.of("MutableHashTable", "MutableHashTableV2", "MutableHashTableOfTensors",
      "MutableHashTableOfTensorsV2", "MutableDenseHashTable", "MutableDenseHashTableV2", "AnonymousHashTable",
      "AnonymousMutableHashTable", "AnonymousMutableHashTableOfTensors", "AnonymousMutableDenseHashTable");
  /** Ops that fill a table (an initialiser kept in the frozen graph fills it there, so it is not folded). */
  static final Set<String> INITIALIZERS = Set.of("InitializeTableV2", "InitializeTable",
      "InitializeTableFromTextFileV2", "InitializeTableFromTextFile", "LookupTableImportV2", "LookupTableImport");

  private LookupTables() {}

  /** Whether any of these nodes creates a lookup table (then freezing needs the tables' contents). */
  public static boolean anyTable(GraphIndex graph, Iterable<String> nodes) {
    for (String n : nodes) {
      String op = graph.node(n).getOp();
      if (INITIALIZABLE.contains(op) || MUTABLE.contains(op)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The contents of the initialisable tables among {@code nodes}, by node name, as a loaded model's session holds
   * them (after its restore and init ops ran).
   */
  public static Map<String, LookupTable> contents(GraphIndex graph, Iterable<String> nodes, Session session) {
    Map<String, LookupTable> out = new LinkedHashMap<>();
    for (String name : nodes) {
      NodeDef n = graph.node(name);
      if (!INITIALIZABLE.contains(n.getOp())) {
        continue;
      }
      AttrValue shared = n.getAttrMap().get("shared_name");
      String key = shared == null || shared.getS().isEmpty() ? name : shared.getS().toStringUtf8();
      LookupTable table = session.existingResource(LookupTable.resourceKey(key), LookupTable.class).orElse(null);
      if (table != null && table.isInitialized()) {
        out.put(name, table);
      }
    }
    return out;
  }

  /**
   * The nodes that fill the kept tables from their contents, appended to {@code kept}: per table its keys, values
   * and InitializeTableV2, and the {@code init_all_tables} NoOp over them (a kept NoOp of that name gets them as
   * further control inputs). Fails for a table that is needed but mutable or whose contents are unknown.
   *
   * @return how many tables were folded
   */
  static int fold(GraphIndex graph, Set<String> needed, List<NodeDef> kept, Map<String, LookupTable> contents) {
    Set<String> initialisedInGraph = new java.util.HashSet<>();
    for (String name : needed) {
      NodeDef n = graph.node(name);
      if (INITIALIZERS.contains(n.getOp()) && n.getInputCount() > 0) {
        initialisedInGraph.add(graph.throughIdentities(TensorRef.parse(n.getInput(0))).node());
      }
    }
    List<String> inits = new ArrayList<>();
    for (String name : needed) {
      NodeDef n = graph.node(name);
      if (MUTABLE.contains(n.getOp())) {
        throw new UnsupportedInputException("The outputs use lookup table '" + name + "' (" + n.getOp() + "), "
            + "whose contents change as the model runs; a frozen graph cannot hold it. Convert to a SavedModel "
            + "instead (--to savedmodel)");
      }
      if (!INITIALIZABLE.contains(n.getOp()) || initialisedInGraph.contains(name)) {
        continue;
      }
      LookupTable table = contents.get(name);
      if (table == null) {
        throw new UnsupportedInputException("The outputs use lookup table '" + name + "' (" + n.getOp() + "), "
            + "which the model does not fill when it loads (no init op initialises it), so there are no contents "
            + "to freeze. Convert to a SavedModel instead (--to savedmodel), or keep the op that fills it in "
            + "--outputs");
      }
      String keys = unique(needed, name + "/tfgw_frozen_keys");
      String values = unique(needed, name + "/tfgw_frozen_values");
      String init = unique(needed, name + "/tfgw_frozen_init");
      kept.add(constant(keys, table.keys()));
      kept.add(constant(values, table.values()));
      kept.add(NodeDef.newBuilder().setName(init).setOp("InitializeTableV2").addInput(name).addInput(keys)
          .addInput(values).putAttr("Tkey", type(table.keyType())).putAttr("Tval", type(table.valueType())).build());
      inits.add(init);
    }
    if (inits.isEmpty()) {
      return 0;
    }
    int existing = -1;
    for (int i = 0; i < kept.size(); i++) {
      if (kept.get(i).getName().equals(INIT_ALL_TABLES)) {
        existing = i;
      }
    }
    if (existing >= 0 && !kept.get(existing).getOp().equals("NoOp")) {
      throw new UnsupportedInputException("The frozen graph needs a NoOp '" + INIT_ALL_TABLES + "' to fill its "
          + "lookup tables, but the outputs keep a " + kept.get(existing).getOp() + " of that name");
    }
    NodeDef.Builder all = existing >= 0 ? kept.get(existing).toBuilder()
        : NodeDef.newBuilder().setName(INIT_ALL_TABLES).setOp("NoOp");
    inits.forEach(i -> all.addInput("^" + i));
    if (existing >= 0) {
      kept.set(existing, all.build());
    } else {
      kept.add(all.build());
    }
    return inits.size();
  }

  /** A name for a new node, free among the kept ones (a frozen graph frozen again drops its old table nodes). */
  private static String unique(Set<String> kept, String name) {
    if (kept.contains(name)) {
      throw new UnsupportedInputException("The outputs keep a node '" + name + "', the name tfgw gives a frozen "
          + "table's contents; leave it out of --outputs");
    }
    return name;
  }

  private static AttrValue type(DType t) {
    return AttrValue.newBuilder().setType(DataType.forNumber(t.number())).build();
  }

  private static NodeDef constant(String name, Tensor value) {
    TensorProto proto;
    if (value.dtype() == DType.STRING) {
      TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
          .setTensorShape(TensorProtos.shapeProto(value.shape()));
      for (byte[] s : value.strings()) {
        b.addStringVal(com.google.protobuf.ByteString.copyFrom(s));
      }
      proto = b.build();
    } else {
      proto = TensorProtos.withTensorContent(value.dtype(), value.shape(), value.canonicalBytes());
    }
    return NodeDef.newBuilder().setName(name).setOp("Const").putAttr("dtype", type(value.dtype()))
        .putAttr("value", AttrValue.newBuilder().setTensor(proto).build()).build();
  }
}
