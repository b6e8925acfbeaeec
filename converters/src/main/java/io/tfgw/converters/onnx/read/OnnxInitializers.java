package io.tfgw.converters.onnx.read;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.onnx.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model's initializers as a checkpoint (for {@code inspect}, {@code --hash} and {@code convert --to v2}): listed
 * from the protobuf without decoding, each read (and, for external data, loaded from its file) when asked for.
 */
public final class OnnxInitializers implements CheckpointReader {
  private final OnnxFile file;
  private final Map<String, TensorProto> byName = new LinkedHashMap<>();
  private final List<TensorInfo> infos = new ArrayList<>();

  private OnnxInitializers(OnnxFile file) {
    this.file = file;
    for (TensorProto t : file.model().getGraph().getInitializerList()) {
      String what = "initializer '" + t.getName() + "'";
      byName.put(t.getName(), t);
      infos.add(new TensorInfo(t.getName(), OnnxFile.dtype(t.getDataType(), what), OnnxFile.shape(t, what)));
    }
  }

  public static OnnxInitializers open(Storage storage, Location location) {
    return new OnnxInitializers(OnnxFile.read(storage, location));
  }

  @Override
  public Location location() {
    return file.location();
  }

  @Override
  public String format() {
    return "onnx";
  }

  @Override
  public List<TensorInfo> tensors() {
    return infos;
  }

  @Override
  public TensorData read(String name) {
    require(name);
    return file.tensor(byName.get(name), "initializer '" + name + "' of " + file.location());
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    throw new WrongInputException("Initializer '" + name + "' is not partitioned");
  }

  @Override
  public void close() {}
}
