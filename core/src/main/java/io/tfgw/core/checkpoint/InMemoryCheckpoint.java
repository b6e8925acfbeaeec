package io.tfgw.core.checkpoint;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A checkpoint of tensors already at hand (thawed graph constants, test data); whole tensors only. */
public final class InMemoryCheckpoint implements CheckpointReader {
  private final Location location;
  private final String format;
  private final Map<String, TensorData> tensors = new LinkedHashMap<>();

  public InMemoryCheckpoint(Location location, String format, Map<String, ? extends TensorData> tensors) {
    this.location = location;
    this.format = format;
    this.tensors.putAll(tensors);
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return format;
  }

  @Override
  public List<TensorInfo> tensors() {
    List<TensorInfo> out = new ArrayList<>();
    tensors.forEach((n, d) -> out.add(new TensorInfo(n, d.dtype(), d.shape())));
    return out;
  }

  @Override
  public TensorData read(String name) {
    require(name);
    return tensors.get(name);
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    throw new WrongInputException("Tensor '" + name + "' is not partitioned");
  }

  @Override
  public void close() {}
}
