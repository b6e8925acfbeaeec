package io.tfgw.converters.v1;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.checkpoint.CheckpointWriter;
import io.tfgw.core.checkpoint.TensorNameSlices;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.table.TableWriter;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorCopier;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorProtos;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.DataType;
import io.tfgw.proto.SavedSliceMeta;
import io.tfgw.proto.SavedTensorSliceMeta;
import io.tfgw.proto.SavedTensorSlices;
import io.tfgw.proto.VersionDef;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a V1 checkpoint byte-identical to TF's {@code TensorSliceWriter} (the {@code Save}/{@code SaveSlices}
 * ops): the {@code ""} entry with the metadata of every tensor (sorted by name, as {@code SaveTensors} sorts them;
 * a tensor's slices in the order added), then one entry per slice in key order. Like TF it can only publish the file at the end (the metadata comes first but lists every slice), so
 * slice values are kept as lazy sources until {@link #commit()} and stream from them then; nothing is held in
 * memory but metadata.
 */
public final class V1Writer implements CheckpointWriter {
  /**
   * Exactly what TF 2.16's {@code Save}/{@code SaveSlices} write: the kernel's {@code TF_CALL_SAVE_RESTORE_TYPES}
   * switch less what {@code TensorSliceWriter::MaxBytesPerElementOrZero} refuses. The kernel already refuses
   * bfloat16, qint16, quint16, the float8 and 4-bit types ("Saving data type ... not yet supported"); uint32 and
   * uint64 pass the kernel but the writer refuses them ("Tensor slice serialization not implemented"). Checked
   * against TF itself by V1OracleTest.
   */
  private static final Set<DType> WRITABLE = Set.of(DType.BOOL, DType.FLOAT, DType.DOUBLE, DType.COMPLEX64,
      DType.COMPLEX128, DType.INT32, DType.INT64, DType.UINT8, DType.UINT16, DType.INT8, DType.INT16, DType.QINT8,
      DType.QUINT8, DType.QINT32, DType.HALF, DType.STRING);

  private final Storage storage;
  private final Location file;
  private final Map<String, SavedSliceMeta.Builder> meta = new LinkedHashMap<>();
  private final TreeMap<byte[], V1SliceEncoder> slices = new TreeMap<>(Arrays::compareUnsigned);
  private boolean finished;
  /**
   * One buffer for every slice's values: a tensor-sized array per tensor would be a humongous allocation each; 64
   * KiB pieces stay in the core's cache from the read through the crcs to the write.
   */
  private final byte[] copyBuffer = new byte[1 << 16];
  /** Packed float/double/complex values: a local source's bytes reach the file with no array in between. */
  private final TensorCopier copier = new TensorCopier();

  public V1Writer(Storage storage, Location file) {
    this.storage = storage;
    this.file = file;
  }

  /** Whether a V1 checkpoint can hold the dtype. */
  public static boolean canWrite(DType dtype) {
    return WRITABLE.contains(dtype);
  }

  @Override
  public void add(String name, TensorData data) {
    addSlice(name, data.shape(), TensorSlice.full(data.shape().rank()), data);
  }

  @Override
  public void addSlice(String name, Shape fullShape, TensorSlice slice, TensorData data) {
    if (finished) {
      throw new IllegalStateException("checkpoint already committed or aborted");
    }
    if (!canWrite(data.dtype())) {
      throw new UnsupportedInputException("Tensor '" + name + "' is " + data.dtype() + ", which V1 checkpoints cannot hold "
          + "(TensorFlow's V1 writer refuses it too; it writes " + WRITABLE.stream().map(DType::pythonName).sorted().toList()
          + "); convert to V2 instead (--to v2)");
    }
    if (!slice.fits(fullShape) || !slice.sliceShape(fullShape).equals(data.shape())) {
      throw new IllegalArgumentException("slice " + slice + " of " + name + " does not match shape " + fullShape);
    }
    SavedSliceMeta.Builder m = meta.get(name);
    if (m == null) {
      m = SavedSliceMeta.newBuilder().setName(name).setShape(TensorProtos.shapeProto(fullShape))
          .setType(DataType.forNumber(data.dtype().number()));
      meta.put(name, m);
    } else if (m.getTypeValue() != data.dtype().number() || !m.getShape().equals(TensorProtos.shapeProto(fullShape))) {
      throw new IllegalArgumentException("slice of " + name + " disagrees in dtype or shape with an earlier one");
    }
    m.addSlice(slice.toProto());
    byte[] key = TensorNameSlices.encode(name, slice);
    if (slices.put(key, new V1SliceEncoder(name, slice.toProto(), data)) != null) {
      throw new IllegalArgumentException("slice " + slice + " of " + name + " added twice");
    }
  }

  @Override
  public void commit() {
    if (finished) {
      throw new IllegalStateException("checkpoint already committed or aborted");
    }
    finished = true;
    for (V1SliceEncoder enc : slices.values()) {
      enc.checkTensorFlowSizeLimit(); // before anything is written, as TF fails in Add before Finish
    }
    SavedTensorSliceMeta.Builder all = SavedTensorSliceMeta.newBuilder();
    meta.values().stream()
        .sorted((a, b) -> Arrays.compareUnsigned(a.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            b.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .forEach(all::addTensor);
    all.setVersions(VersionDef.newBuilder().setProducer(1));
    byte[] metaValue = SavedTensorSlices.newBuilder().setMeta(all).build().toByteArray();
    try (AtomicOutputStream out = storage.outputFile(file).create()) {
      TableWriter table = new TableWriter(out);
      table.add(new byte[0], metaValue);
      for (Map.Entry<byte[], V1SliceEncoder> e : slices.entrySet()) {
        V1SliceEncoder enc = e.getValue();
        table.addStreaming(e.getKey(), enc.length(), o -> enc.writeTo(o, copyBuffer, copier));
      }
      table.finish();
      out.commit();
    }
  }

  @Override
  public void close() {
    finished = true;
  }
}
