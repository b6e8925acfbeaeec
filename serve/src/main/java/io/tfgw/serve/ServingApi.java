package io.tfgw.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.proto.MetaGraphDef;
import io.tfgw.proto.SavedModel;
import io.tfgw.proto.SignatureDef;
import io.tfgw.proto.TensorInfo;
import io.tfgw.proto.TensorShapeProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The metadata half of TF Serving's REST API over TF Serving layouts under ROOT ({@code NAME/VERSION/saved_model.pb}):
 * {@code GET /v1/models/NAME[/versions/V]} (status) and {@code .../metadata} (signature_def), in the JSON shape TF
 * Serving prints (its protos printed with original field names, int64 as strings, enums by name); and Triton's
 * {@code POST /v2/repository/index}. Nothing is served for inference: this is a gateway for files.
 */
final class ServingApi {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private final RootGuard guard;

  ServingApi(RootGuard guard) {
    this.guard = guard;
  }

  /** {@code /v1/models/{name}[/versions/{v}][/metadata]}; {@code rest} is what follows {@code /v1/models/}. */
  void handle(Exchange ex, List<String> rest) throws IOException {
    List<String> name = new ArrayList<>(rest);
    boolean metadata = !name.isEmpty() && name.get(name.size() - 1).equals("metadata");
    if (metadata) {
      name.remove(name.size() - 1);
    }
    String version = null;
    int v = name.indexOf("versions");
    if (v >= 0 && v == name.size() - 2) {
      version = name.get(v + 1);
      name = name.subList(0, v);
    } else if (name.size() >= 2 && name.get(name.size() - 2).equals("labels")) {
      throw new HttpError(404, "NotFound", "Version labels are not supported; use /versions/N");
    }
    if (name.isEmpty()) {
      throw HttpError.notFound("Give a model name: /v1/models/NAME");
    }
    Location base = guard.resolve(name);
    TreeMap<Long, Location> versions = versions(base);
    String modelName = String.join("/", name);
    if (versions.isEmpty()) {
      throw new HttpError(404, "NotFound", "Servable not found for request: Latest(" + modelName + ")");
    }
    long chosen;
    if (version == null) {
      chosen = versions.lastKey(); // TF Serving's default version policy: the latest
    } else {
      try {
        chosen = Long.parseLong(version);
      } catch (NumberFormatException e) {
        throw HttpError.badRequest("Version must be a number: " + version);
      }
      if (!versions.containsKey(chosen)) {
        throw new HttpError(404, "NotFound", "Servable not found for request: Specific(" + modelName + ", " + chosen
            + ")");
      }
    }
    if (!metadata) {
      ObjectNode status = JSON.objectNode();
      ArrayNode list = status.putArray("model_version_status");
      ObjectNode s = list.addObject();
      s.put("version", String.valueOf(chosen));
      s.put("state", "AVAILABLE");
      ObjectNode st = s.putObject("status");
      st.put("error_code", "OK");
      st.put("error_message", "");
      ex.json(200, status);
      return;
    }
    SavedModel model = SavedModel.parseFrom(
        guard.storage().inputFile(versions.get(chosen).resolve("saved_model.pb")).readAllBytes());
    MetaGraphDef serve = model.getMetaGraphsList().stream()
        .filter(g -> g.getMetaInfoDef().getTagsList().contains("serve")).findFirst()
        .orElseThrow(() -> new HttpError(404, "NotFound", "No meta graph tagged 'serve' in " + modelName));
    ObjectNode out = JSON.objectNode();
    ObjectNode spec = out.putObject("model_spec");
    spec.put("name", modelName);
    spec.put("signature_name", "");
    spec.put("version", String.valueOf(chosen));
    ObjectNode defs = out.putObject("metadata").putObject("signature_def").putObject("signature_def");
    for (Map.Entry<String, SignatureDef> e : new TreeMap<>(serve.getSignatureDefMap()).entrySet()) {
      ObjectNode sig = defs.putObject(e.getKey());
      tensors(sig.putObject("inputs"), e.getValue().getInputsMap());
      tensors(sig.putObject("outputs"), e.getValue().getOutputsMap());
      sig.put("method_name", e.getValue().getMethodName());
      // default values of optional inputs (TF 2.x): their dtype and shape only; the values are not printed
      ObjectNode defaults = sig.putObject("defaults");
      e.getValue().getDefaultsMap().forEach((k, t) -> {
        ObjectNode d = defaults.putObject(k);
        d.put("dtype", t.getDtype().name());
      });
    }
    ex.json(200, out);
  }

  private static void tensors(ObjectNode into, Map<String, TensorInfo> map) {
    for (Map.Entry<String, TensorInfo> e : new TreeMap<>(map).entrySet()) {
      TensorInfo t = e.getValue();
      ObjectNode n = into.putObject(e.getKey());
      n.put("dtype", t.getDtype().name());
      ObjectNode shape = n.putObject("tensor_shape");
      ArrayNode dims = shape.putArray("dim");
      for (TensorShapeProto.Dim d : t.getTensorShape().getDimList()) {
        ObjectNode dim = dims.addObject();
        dim.put("size", String.valueOf(d.getSize()));
        dim.put("name", d.getName());
      }
      shape.put("unknown_rank", t.getTensorShape().getUnknownRank());
      n.put("name", t.getName());
    }
  }

  /** The numbered version directories below a model directory that hold a saved_model.pb. */
  private TreeMap<Long, Location> versions(Location base) {
    TreeMap<Long, Location> out = new TreeMap<>();
    for (FileEntry f : guard.list(base)) {
      String rel = base.relativize(f.location());
      String[] parts = rel.split("/");
      if (parts.length == 2 && parts[1].equals("saved_model.pb") && parts[0].matches("\\d{1,18}")) {
        out.put(Long.parseLong(parts[0]), base.resolve(parts[0]));
      }
    }
    return out;
  }

  /** Triton's {@code POST /v2/repository/index}: every TF Serving model under ROOT with its versions. */
  void tritonIndex(Exchange ex) throws IOException {
    ArrayNode out = JSON.arrayNode();
    Map<String, TreeSet<Long>> models = new TreeMap<>();
    for (FileEntry f : guard.list(guard.root())) {
      String rel = guard.relative(f.location());
      String[] parts = rel.split("/");
      if (parts.length >= 3 && parts[parts.length - 1].equals("saved_model.pb")
          && parts[parts.length - 2].matches("\\d{1,18}")) {
        String name = String.join("/", java.util.Arrays.copyOf(parts, parts.length - 2));
        models.computeIfAbsent(name, k -> new TreeSet<>()).add(Long.parseLong(parts[parts.length - 2]));
      }
    }
    models.forEach((name, vs) -> vs.forEach(v -> {
      ObjectNode m = out.addObject();
      m.put("name", name);
      m.put("version", String.valueOf(v));
      m.put("state", "READY");
    }));
    ex.json(200, out);
  }
}
