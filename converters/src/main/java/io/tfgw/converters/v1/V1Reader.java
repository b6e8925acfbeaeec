package io.tfgw.converters.v1;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.TensorNameSlices;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.table.TableReader;
import io.tfgw.core.table.TableValue;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.SavedSliceMeta;
import io.tfgw.proto.SavedTensorSliceMeta;
import io.tfgw.proto.SavedTensorSlices;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads V1 checkpoints ({@code tensor_slice_writer.cc} / {@code tensor_slice_reader.cc}): one table per shard,
 * whose {@code ""} entry lists every tensor with its shape, dtype and slices, and whose other entries hold one slice
 * each under an OrderedCode key. Opening reads only the metadata; slice values stream on demand (see
 * {@link V1SliceDecoder}). A tensor stored as one full slice reads as a plain tensor; several slices, possibly in
 * several shard files, make a partitioned variable.
 */
public final class V1Reader implements CheckpointReader {
  private final Location location;
  private final List<RandomAccessInput> inputs;
  private final List<TableReader> tables;
  private final List<TensorInfo> tensors;
  private final Map<String, Map<TensorSlice, Integer>> sliceShard;

  private V1Reader(Location location, List<RandomAccessInput> inputs, List<TableReader> tables, List<TensorInfo> tensors,
      Map<String, Map<TensorSlice, Integer>> sliceShard) {
    this.location = location;
    this.inputs = inputs;
    this.tables = tables;
    this.tensors = tensors;
    this.sliceShard = sliceShard;
  }

  /** Opens a V1 checkpoint given as one file or as the shard files of one sharded save. */
  public static V1Reader open(Storage storage, Location location, List<Location> files) {
    List<RandomAccessInput> inputs = new ArrayList<>();
    List<TableReader> tables = new ArrayList<>();
    Map<String, SavedSliceMeta> metas = new LinkedHashMap<>();
    Map<String, List<TensorSlice>> slices = new LinkedHashMap<>();
    Map<String, Map<TensorSlice, Integer>> sliceShard = new LinkedHashMap<>();
    try {
      for (int shard = 0; shard < files.size(); shard++) {
        Location file = files.get(shard);
        RandomAccessInput in = storage.inputFile(file).open();
        inputs.add(in);
        TableReader table = TableReader.open(in);
        tables.add(table);
        SavedTensorSliceMeta meta = readMeta(table, file);
        if (meta.hasVersions() && meta.getVersions().getMinConsumer() > 1) {
          throw new UnsupportedInputException(file + " needs a V1 reader of version " + meta.getVersions().getMinConsumer()
              + " or newer; it was written by a newer TensorFlow than tfgw knows");
        }
        for (SavedSliceMeta t : meta.getTensorList()) {
          SavedSliceMeta seen = metas.putIfAbsent(t.getName(), t);
          if (seen != null && (seen.getTypeValue() != t.getTypeValue() || !seen.getShape().equals(t.getShape()))) {
            throw new CorruptInputException(file + ": tensor '" + t.getName() + "' has a different dtype or shape than in "
                + "another shard of the same checkpoint");
          }
          for (var sp : t.getSliceList()) {
            TensorSlice s = TensorSlice.fromProto(sp);
            slices.computeIfAbsent(t.getName(), k -> new ArrayList<>()).add(s);
            if (sliceShard.computeIfAbsent(t.getName(), k -> new LinkedHashMap<>()).put(s, shard) != null) {
              throw new CorruptInputException(file + ": slice " + s + " of '" + t.getName() + "' is stored twice");
            }
          }
        }
      }
      List<TensorInfo> infos = new ArrayList<>();
      for (SavedSliceMeta t : metas.values()) {
        infos.add(describe(t, slices.getOrDefault(t.getName(), List.of()), location));
      }
      infos.sort((a, b) -> java.util.Arrays.compareUnsigned(a.name().getBytes(java.nio.charset.StandardCharsets.UTF_8),
          b.name().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      return new V1Reader(location, inputs, tables, Collections.unmodifiableList(infos), sliceShard);
    } catch (RuntimeException e) {
      inputs.forEach(RandomAccessInput::close);
      throw e;
    }
  }

  private static SavedTensorSliceMeta readMeta(TableReader table, Location file) {
    TableValue v = table.find(new byte[0]).orElseThrow(() ->
        new CorruptInputException(file + " has no metadata entry; it is not a V1 checkpoint"));
    try {
      SavedTensorSlices sts = SavedTensorSlices.parseFrom(v.bytes());
      if (!sts.hasMeta()) {
        throw new WrongInputException(file + " is a table file but not a V1 checkpoint (no SavedTensorSliceMeta); a V2 "
            + "checkpoint index is named <prefix>.index");
      }
      return sts.getMeta();
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(file + ": the metadata entry cannot be parsed; it is not a V1 checkpoint");
    }
  }

  private static TensorInfo describe(SavedSliceMeta t, List<TensorSlice> slices, Location where) {
    DType dtype;
    try {
      dtype = DType.fromNumber(t.getTypeValue());
    } catch (UnsupportedInputException e) {
      throw new UnsupportedInputException(where + ": tensor '" + t.getName() + "' has dtype number " + t.getTypeValue()
          + ", which tfgw does not know");
    }
    Shape shape = TensorProtos.shapeOf(t.getShape(), where + ": tensor '" + t.getName() + "'");
    for (TensorSlice s : slices) {
      if (!s.fits(shape)) {
        throw new CorruptInputException(where + ": slice " + s + " of '" + t.getName() + "' does not fit its shape " + shape);
      }
    }
    boolean whole = slices.size() == 1 && slices.get(0).coversWhole(shape);
    return new TensorInfo(t.getName(), dtype, shape, whole ? List.of() : slices);
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return "v1";
  }

  public int numShards() {
    return tables.size();
  }

  @Override
  public List<TensorInfo> tensors() {
    return tensors;
  }

  @Override
  public TensorData read(String name) {
    TensorInfo info = require(name);
    if (!info.isPartitioned()) {
      Map<TensorSlice, Integer> stored = sliceShard.get(name);
      if (stored == null || stored.isEmpty()) {
        if (info.shape().numElements() == 0) {
          return new io.tfgw.core.tensor.InMemoryTensorData(info.dtype(), info.shape(), new byte[0]);
        }
        throw new CorruptInputException(location + ": tensor '" + name + "' has no stored slices");
      }
      TensorSlice only = stored.keySet().iterator().next();
      return sliceData(info, only, stored.get(only));
    }
    return assemble(info);
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    TensorInfo info = require(name);
    Integer shard = sliceShard.getOrDefault(name, Map.of()).get(slice);
    if (shard == null) {
      throw new WrongInputException("Tensor '" + name + "' in " + location + " has no stored slice " + slice
          + "; its slices are " + sliceShard.getOrDefault(name, Map.of()).keySet());
    }
    return sliceData(info, slice, shard);
  }

  private TensorData sliceData(TensorInfo info, TensorSlice slice, int shard) {
    Shape sliceShape = slice.sliceShape(info.shape());
    TableReader table = tables.get(shard);
    String where = "tensor '" + info.name() + "'" + (slice.coversWhole(info.shape()) ? "" : " (slice " + slice + ")")
        + " in " + table.input().location();
    V1SliceDecoder.valueField(info.dtype(), where);
    return new TensorData() {
      @Override
      public DType dtype() {
        return info.dtype();
      }

      @Override
      public Shape shape() {
        return sliceShape;
      }

      @Override
      public InputStream open() {
        return decoder();
      }

      /** The decoder itself: values it passes through go from the file straight into the caller's buffer. */
      @Override
      public java.nio.channels.ReadableByteChannel openChannel() {
        return decoder();
      }

      private V1SliceDecoder decoder() {
        TableValue value = table.find(TensorNameSlices.encode(info.name(), slice)).orElseThrow(() ->
            new CorruptInputException(where + ": listed in the metadata but its data entry is missing"));
        return new V1SliceDecoder(value.open(), value.length(), info.dtype(), sliceShape.numElements(), where);
      }
    };
  }

  @Override
  public void close() {
    inputs.forEach(RandomAccessInput::close);
  }
}
