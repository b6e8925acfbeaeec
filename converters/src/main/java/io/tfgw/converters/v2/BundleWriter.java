package io.tfgw.converters.v2;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.checkpoint.CheckpointWriter;
import io.tfgw.core.checkpoint.TensorNameSlices;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.io.Varint;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.table.TableWriter;
import io.tfgw.core.tensor.CanonicalStrings;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorCopier;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.BundleEntryProto;
import io.tfgw.proto.BundleHeaderProto;
import io.tfgw.proto.TensorShapeProto;
import io.tfgw.proto.VersionDef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Writes a V2 tensor bundle that TensorFlow's {@code BundleReader} reads, byte-identical to what TF's
 * {@code BundleWriter} (and {@code MergeBundles}, for several shards) writes for the same tensors in the same order.
 *
 * <p>Tensors stream from their source into the data shard: fixed-size values are copied as they come; strings are
 * read twice (the format puts all lengths before all bytes), so no tensor is ever held in memory. Data shards are
 * committed first and the {@code .index} last: a failure leaves no index, and without an index there is no
 * checkpoint.
 */
public final class BundleWriter implements CheckpointWriter {
  private final Storage storage;
  private final Location prefix;
  private final int numShards;
  private final int dataAlignment;
  private final AtomicOutputStream[] shards;
  private final TreeMap<byte[], BundleEntryProto.Builder> entries = new TreeMap<>(Arrays::compareUnsigned);
  private boolean finished;
  /** One buffer for every tensor's copy: a tensor-sized array per tensor would be a humongous allocation each. */
  private final TensorCopier copier = new TensorCopier();

  public BundleWriter(Storage storage, Location prefix) {
    this(storage, prefix, 1, 1);
  }

  /**
   * @param numShards number of data files; tensors say which one they go to
   * @param dataAlignment pad each tensor's start to a multiple of this (TF's {@code data_alignment}, default 1)
   */
  public BundleWriter(Storage storage, Location prefix, int numShards, int dataAlignment) {
    if (numShards < 1 || dataAlignment < 1) {
      throw new IllegalArgumentException("numShards and dataAlignment must be >= 1");
    }
    this.storage = storage;
    this.prefix = prefix;
    this.numShards = numShards;
    this.dataAlignment = dataAlignment;
    this.shards = new AtomicOutputStream[numShards];
  }

  public Location prefix() {
    return prefix;
  }

  @Override
  public void add(String name, TensorData data) {
    add(name, data, 0);
  }

  /** Adds a whole tensor to data shard {@code shard}. */
  public void add(String name, TensorData data, int shard) {
    byte[] key = name.getBytes(StandardCharsets.UTF_8);
    if (name.isEmpty()) {
      throw new IllegalArgumentException("the empty name is reserved for the bundle header");
    }
    BundleEntryProto.Builder existing = entries.get(key);
    if (existing != null) {
      throw new IllegalArgumentException("Adding duplicate key: " + name);
    }
    entries.put(key, writeData(name, data, shard));
  }

  @Override
  public void addSlice(String name, Shape fullShape, TensorSlice slice, TensorData data) {
    addSlice(name, fullShape, slice, data, 0);
  }

  /** As TF's {@code BundleWriter::AddSlice}: a slice covering the whole tensor is added as the tensor itself. */
  public void addSlice(String name, Shape fullShape, TensorSlice slice, TensorData data, int shard) {
    if (!slice.fits(fullShape) || !slice.sliceShape(fullShape).equals(data.shape())) {
      throw new IllegalArgumentException("slice " + slice + " of " + name + " does not match shape " + fullShape
          + " and data " + data.shape());
    }
    if (slice.coversWhole(fullShape)) {
      add(name, data, shard);
      return;
    }
    byte[] key = name.getBytes(StandardCharsets.UTF_8);
    BundleEntryProto.Builder full = entries.get(key);
    if (full == null) {
      full = BundleEntryProto.newBuilder().setDtypeValue(data.dtype().number()).setShape(shapeProto(fullShape));
      entries.put(key, full);
    } else if (full.getSlicesCount() == 0 || full.getDtypeValue() != data.dtype().number()
        || !full.getShape().equals(shapeProto(fullShape))) {
      throw new IllegalArgumentException("slice of " + name + " disagrees with what was added under that name before");
    }
    full.addSlices(slice.toProto());
    byte[] sliceKey = TensorNameSlices.encode(name, slice);
    if (entries.containsKey(sliceKey)) {
      throw new IllegalArgumentException("Adding duplicate slice " + slice + " of " + name);
    }
    entries.put(sliceKey, writeData(name + " slice " + slice, data, shard));
  }

  static TensorShapeProto shapeProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.rank(); i++) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(shape.dim(i)));
    }
    return b.build();
  }

  private AtomicOutputStream shard(int id) {
    if (id < 0 || id >= numShards) {
      throw new IllegalArgumentException("shard " + id + " of " + numShards);
    }
    if (shards[id] == null) {
      shards[id] = storage.outputFile(BundleFiles.data(prefix, id, numShards)).create();
    }
    return shards[id];
  }

  private BundleEntryProto.Builder writeData(String name, TensorData data, int shardId) {
    if (finished) {
      throw new IllegalStateException("bundle already committed or aborted");
    }
    DType dtype = data.dtype();
    if (!dtype.isFixedSize() && dtype != DType.STRING && dtype != DType.VARIANT) {
      throw new UnsupportedInputException("Tensor '" + name + "' has dtype " + dtype + ", which a checkpoint cannot hold");
    }
    AtomicOutputStream out = shard(shardId);
    long offset = out.position();
    CRC32C crc = new CRC32C();
    int unmaskedCrc;
    try {
      if (dtype == DType.STRING) {
        writeStrings(name, data, out, crc);
        unmaskedCrc = (int) crc.getValue();
      } else if (dtype == DType.VARIANT) {
        writeVariants(name, data, out, crc);
        unmaskedCrc = (int) crc.getValue();
      } else {
        long expected = data.shape().byteSize(dtype);
        java.util.OptionalInt known = data.verifiedCrc32c();
        // bytes whose crc the source checks as they are read need no second crc pass: the stream fails before
        // its end, and this whole bundle with it, unless they have exactly that crc
        long copied = copy(data, out, known.isPresent() ? null : crc);
        unmaskedCrc = known.isPresent() ? known.getAsInt() : (int) crc.getValue();
        if (copied != expected) {
          throw new CorruptInputException("Tensor '" + name + "' gave " + copied + " bytes; " + dtype + data.shape()
              + " needs " + expected);
        }
      }
      long size = out.position() - offset;
      long over = out.position() % dataAlignment;
      if (over != 0) {
        out.write(new byte[(int) (dataAlignment - over)]);
      }
      return BundleEntryProto.newBuilder()
          .setDtypeValue(dtype.number())
          .setShape(shapeProto(data.shape()))
          .setShardId(shardId)
          .setOffset(offset)
          .setSize(size)
          .setCrc32C(Crc32c.mask(unmaskedCrc));
    } catch (IOException e) {
      throw new StorageException("Cannot write " + out.location() + ": " + e.getMessage(), e);
    }
  }

  /** Copies the canonical bytes into {@code out}, through {@code crc} unless it is null. */
  private long copy(TensorData data, AtomicOutputStream out, CRC32C crc) throws IOException {
    return copier.copy(data, out, crc);
  }

  /** {@code [varint64 len]... [fixed32 masked crc of the lengths as uint32 (uint64 if large)] [bytes]...}. */
  private static void writeStrings(String name, TensorData data, AtomicOutputStream out, CRC32C crc) throws IOException {
    long count = data.shape().numElements();
    byte[] varint = new byte[10];
    byte[] raw = new byte[8];
    // Pass 1: the lengths.
    try (InputStream in = data.open()) {
      for (long i = 0; i < count; i++) {
        long len = CanonicalStrings.readLength(in, name);
        if (len < 0) {
          throw new CorruptInputException("Tensor '" + name + "' has fewer than " + count + " strings");
        }
        skipFully(in, len, name);
        out.write(varint, 0, Varint.write(varint, 0, len));
        int n = Long.compareUnsigned(len, 0xffffffffL) <= 0 ? 4 : 8;
        CanonicalStrings.putLength(raw, 0, len);
        crc.update(raw, 0, n);
      }
    }
    int lengthChecksum = Crc32c.mask((int) crc.getValue());
    byte[] four = {(byte) lengthChecksum, (byte) (lengthChecksum >>> 8), (byte) (lengthChecksum >>> 16),
        (byte) (lengthChecksum >>> 24)};
    out.write(four);
    crc.update(four);
    // Pass 2: the bytes.
    byte[] buf = new byte[1 << 16];
    try (InputStream in = data.open()) {
      for (long i = 0; i < count; i++) {
        long left = CanonicalStrings.readLength(in, name);
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (n < 0) {
            throw new CorruptInputException("Tensor '" + name + "' changed between two reads");
          }
          crc.update(buf, 0, n);
          out.write(buf, 0, n);
          left -= n;
        }
      }
    }
  }

  /** Per element: {@code varint64 len, bytes, fixed32 masked running crc}; lengths are checksummed as uint64. */
  private static void writeVariants(String name, TensorData data, AtomicOutputStream out, CRC32C crc) throws IOException {
    long count = data.shape().numElements();
    byte[] varint = new byte[10];
    byte[] raw = new byte[8];
    byte[] buf = new byte[1 << 16];
    try (InputStream in = data.open()) {
      for (long i = 0; i < count; i++) {
        long len = CanonicalStrings.readLength(in, name);
        if (len < 0) {
          throw new CorruptInputException("Tensor '" + name + "' has fewer than " + count + " elements");
        }
        out.write(varint, 0, Varint.write(varint, 0, len));
        CanonicalStrings.putLength(raw, 0, len);
        crc.update(raw, 0, 8);
        long left = len;
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (n < 0) {
            throw new CorruptInputException("Tensor '" + name + "' ends inside an element");
          }
          crc.update(buf, 0, n);
          out.write(buf, 0, n);
          left -= n;
        }
        int masked = Crc32c.mask((int) crc.getValue());
        byte[] four = {(byte) masked, (byte) (masked >>> 8), (byte) (masked >>> 16), (byte) (masked >>> 24)};
        out.write(four);
        crc.update(four);
      }
    }
  }

  private static void skipFully(InputStream in, long n, String name) throws IOException {
    long left = n;
    byte[] buf = null;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (buf == null) {
          buf = new byte[8192];
        }
        int r = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (r < 0) {
          throw new CorruptInputException("Tensor '" + name + "' ends inside a string");
        }
        s = r;
      }
      left -= s;
    }
  }

  /** The index as TF writes it: header {num_shards, version{producer: 1}}, then every entry in key order. */
  private void writeIndex() {
    BundleHeaderProto header = BundleHeaderProto.newBuilder()
        .setNumShards(numShards)
        .setVersion(VersionDef.newBuilder().setProducer(1))
        .build();
    try (AtomicOutputStream out = storage.outputFile(BundleFiles.index(prefix)).create()) {
      TableWriter table = new TableWriter(out);
      table.add(new byte[0], header.toByteArray());
      for (Map.Entry<byte[], BundleEntryProto.Builder> e : entries.entrySet()) {
        table.add(e.getKey(), e.getValue().build().toByteArray());
      }
      table.finish();
      out.commit();
    } catch (UncheckedIOException e) {
      throw new StorageException("Cannot write " + BundleFiles.index(prefix) + ": " + e.getCause().getMessage(), e);
    }
  }

  @Override
  public void commit() {
    if (finished) {
      throw new IllegalStateException("bundle already committed or aborted");
    }
    try {
      for (int i = 0; i < numShards; i++) {
        shard(i).flush();
      }
      for (int i = 0; i < numShards; i++) {
        shards[i].commit();
      }
      finished = true;
    } catch (IOException e) {
      close();
      throw new StorageException("Cannot write " + prefix + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    try {
      writeIndex();
    } catch (RuntimeException e) {
      // Without an index the data files are unreachable garbage: remove them so nothing half-done stays.
      for (int i = 0; i < numShards; i++) {
        try {
          storage.delete(BundleFiles.data(prefix, i, numShards));
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  @Override
  public void close() {
    finished = true;
    for (AtomicOutputStream s : shards) {
      if (s != null) {
        s.abort();
      }
    }
  }
}
