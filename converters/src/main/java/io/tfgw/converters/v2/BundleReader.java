package io.tfgw.converters.v2;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.core.ChecksumMismatchException;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.checkpoint.TensorNameSlices;
import io.tfgw.core.io.ChecksummedChannel;
import io.tfgw.core.io.ChecksummedInputStream;
import io.tfgw.core.io.Crc32c;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.table.TableEntry;
import io.tfgw.core.table.TableReader;
import io.tfgw.core.tensor.CanonicalStrings;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import io.tfgw.proto.BundleEntryProto;
import io.tfgw.proto.BundleHeaderProto;
import io.tfgw.proto.TensorShapeProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads a V2 tensor bundle ({@code tensorflow/core/util/tensor_bundle/tensor_bundle.cc}). Opening reads the whole
 * {@code .index} (metadata only) and checks every entry against its data shard's length, so a missing shard or an
 * index paired with data from another save is reported before any tensor is read. Tensor values stream from the
 * data shards by positional reads, crc-checked on the way.
 *
 * <p>{@link #openForListing} tolerates missing data shards the way TF's {@code NewCheckpointReader} does (TF opens
 * data files only when a value is read): names, dtypes and shapes come from the index, and only reading a tensor
 * stored in a missing shard fails.
 */
public final class BundleReader implements CheckpointReader {
  /** Cap on shard count: TF writes one per device, a corrupt header must not make us open millions. */
  private static final int MAX_SHARDS = 1 << 16;

  private final Storage storage;
  private final Location prefix;
  private final int numShards;
  private final boolean bigEndian;
  private final Map<String, BundleEntryProto> entries; // full-tensor entries in key order
  private final Map<String, Map<TensorSlice, BundleEntryProto>> sliceEntries;
  private final List<TensorInfo> tensors;
  private final RandomAccessInput[] shards;
  private final List<Location> missingDataFiles = new ArrayList<>();
  private final java.util.Set<Integer> missingShards = new java.util.HashSet<>();

  private BundleReader(Storage storage, Location prefix, int numShards, boolean bigEndian,
      Map<String, BundleEntryProto> entries, Map<String, Map<TensorSlice, BundleEntryProto>> sliceEntries,
      List<TensorInfo> tensors) {
    this.storage = storage;
    this.prefix = prefix;
    this.numShards = numShards;
    this.bigEndian = bigEndian;
    this.entries = entries;
    this.sliceEntries = sliceEntries;
    this.tensors = tensors;
    this.shards = new RandomAccessInput[numShards];
  }

  /**
   * Opens the bundle with this prefix ({@code <prefix>.index} must exist); every data file must be there too, else
   * the checkpoint is reported incomplete.
   */
  public static BundleReader open(Storage storage, Location prefix) {
    return open(storage, prefix, false);
  }

  /**
   * Opens the bundle to list its tensors, as TF's {@code NewCheckpointReader} / {@code tf.train.list_variables}
   * do: from the index alone, whether or not its data files are all there ({@link #missingDataFiles()} says which
   * are not). Reading a tensor stored in a missing file fails with the same report as {@link #open}.
   */
  public static BundleReader openForListing(Storage storage, Location prefix) {
    return open(storage, prefix, true);
  }

  /** The number of data shards the index's header declares (reads the header only). */
  public static int numShardsOf(Storage storage, Location prefix) {
    Location indexLocation = BundleFiles.index(prefix);
    try (RandomAccessInput index = storage.inputFile(indexLocation).open()) {
      Iterator<TableEntry> it = TableReader.open(index).iterator();
      return checkedHeader(it, indexLocation).getNumShards();
    }
  }

  private static BundleHeaderProto checkedHeader(Iterator<TableEntry> it, Location indexLocation) {
    if (!it.hasNext()) {
      throw new CorruptInputException(indexLocation + " is an empty table, not a checkpoint index");
    }
    TableEntry first = it.next();
    if (first.key().length != 0) {
      throw new CorruptInputException(indexLocation + " has no header entry; it is not a V2 checkpoint index");
    }
    BundleHeaderProto header = parseHeader(first.value(), indexLocation);
    if (header.getNumShards() <= 0 || header.getNumShards() > MAX_SHARDS) {
      throw new CorruptInputException(indexLocation + ": header claims " + header.getNumShards() + " data shards");
    }
    return header;
  }

  private static BundleReader open(Storage storage, Location prefix, boolean allowMissingData) {
    Location indexLocation = BundleFiles.index(prefix);
    Map<String, BundleEntryProto> entries = new LinkedHashMap<>();
    Map<String, Map<TensorSlice, BundleEntryProto>> slices = new HashMap<>();
    BundleHeaderProto header;
    try (RandomAccessInput index = storage.inputFile(indexLocation).open()) {
      TableReader table = TableReader.open(index);
      Iterator<TableEntry> it = table.iterator();
      header = checkedHeader(it, indexLocation);
      while (it.hasNext()) {
        TableEntry e = it.next();
        BundleEntryProto entry = parseEntry(e, indexLocation);
        if (TensorNameSlices.isSliceKey(e.key())) {
          TensorNameSlices.NameAndSlice ns = TensorNameSlices.decode(e.key(), indexLocation.toString());
          slices.computeIfAbsent(ns.name(), k -> new HashMap<>()).put(ns.slice(), entry);
        } else {
          entries.put(e.keyAsString(), entry);
        }
      }
    }
    if (header.hasVersion() && header.getVersion().getMinConsumer() > 1) {
      throw new UnsupportedInputException(indexLocation + " needs a reader of bundle version "
          + header.getVersion().getMinConsumer() + " or newer; it was written by a newer TensorFlow than tfgw knows");
    }
    List<TensorInfo> tensors = new ArrayList<>();
    for (Map.Entry<String, BundleEntryProto> e : entries.entrySet()) {
      tensors.add(describe(e.getKey(), e.getValue(), indexLocation, slices));
    }
    BundleReader reader = new BundleReader(storage, prefix, header.getNumShards(),
        header.getEndianness() == BundleHeaderProto.Endianness.BIG, entries, slices, Collections.unmodifiableList(tensors));
    reader.checkShards(allowMissingData);
    return reader;
  }

  private static BundleHeaderProto parseHeader(byte[] value, Location where) {
    try {
      BundleHeaderProto h = BundleHeaderProto.parseFrom(value);
      if (!h.getUnknownFields().asMap().isEmpty()) {
        throw new InvalidProtocolBufferException("unexpected fields");
      }
      return h;
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptInputException(where + ": the header entry is not a BundleHeaderProto; this is not a V2 "
          + "checkpoint index (a V1 checkpoint is one table file without a .index suffix)");
    }
  }

  private static BundleEntryProto parseEntry(TableEntry e, Location where) {
    try {
      return BundleEntryProto.parseFrom(e.value());
    } catch (InvalidProtocolBufferException ex) {
      throw new CorruptInputException(where + ": the entry of '" + printable(e.key()) + "' cannot be parsed");
    }
  }

  private static String printable(byte[] key) {
    return TensorNameSlices.isSliceKey(key) ? "(slice key)" : new String(key, StandardCharsets.UTF_8);
  }

  static Shape shapeOf(TensorShapeProto proto, String name, Location where) {
    if (proto.getUnknownRank()) {
      throw new CorruptInputException(where + ": tensor '" + name + "' has an unknown rank");
    }
    long[] dims = new long[proto.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = proto.getDim(i).getSize();
      if (dims[i] < 0) {
        throw new CorruptInputException(where + ": tensor '" + name + "' has dimension " + dims[i]);
      }
    }
    Shape s = Shape.of(dims);
    try {
      s.numElements();
    } catch (ArithmeticException e) {
      throw new CorruptInputException(where + ": the shape of tensor '" + name + "' overflows");
    }
    return s;
  }

  private static TensorInfo describe(String name, BundleEntryProto entry, Location where,
      Map<String, Map<TensorSlice, BundleEntryProto>> sliceEntries) {
    DType dtype;
    try {
      dtype = DType.fromNumber(entry.getDtypeValue());
    } catch (UnsupportedInputException e) {
      throw new UnsupportedInputException(where + ": tensor '" + name + "' has dtype number " + entry.getDtypeValue()
          + ", which tfgw does not know");
    }
    Shape shape = shapeOf(entry.getShape(), name, where);
    List<TensorSlice> slices = new ArrayList<>();
    for (var sp : entry.getSlicesList()) {
      TensorSlice s = TensorSlice.fromProto(sp);
      if (!s.fits(shape)) {
        throw new CorruptInputException(where + ": slice " + s + " of '" + name + "' does not fit its shape " + shape);
      }
      Map<TensorSlice, BundleEntryProto> stored = sliceEntries.get(name);
      if (stored == null || !stored.containsKey(s)) {
        throw new CorruptInputException(where + ": slice " + s + " of '" + name + "' is listed but not stored; "
            + "the index is incomplete (was a sharded save merged?)");
      }
      slices.add(s);
    }
    return new TensorInfo(name, dtype, shape, slices);
  }

  /**
   * Checks that every shard exists (or, when allowed, notes which do not) and is long enough for the entries
   * pointing into it.
   */
  private void checkShards(boolean allowMissing) {
    long[] needed = new long[numShards];
    String[] neededBy = new String[numShards];
    Map<String, BundleEntryProto> all = new LinkedHashMap<>(entries);
    sliceEntries.forEach((name, m) -> m.forEach((slice, entry) -> all.put(name + "[" + slice + "]", entry)));
    for (Map.Entry<String, BundleEntryProto> e : all.entrySet()) {
      BundleEntryProto entry = e.getValue();
      if (entry.getSlicesCount() > 0) {
        continue; // the full entry of a partitioned variable holds no data
      }
      int shard = entry.getShardId();
      if (shard < 0 || shard >= numShards) {
        throw new CorruptInputException(BundleFiles.index(prefix) + ": tensor '" + e.getKey() + "' is in shard " + shard
            + " of " + numShards);
      }
      if (entry.getOffset() < 0 || entry.getSize() < 0) {
        throw new CorruptInputException(BundleFiles.index(prefix) + ": tensor '" + e.getKey() + "' has a negative offset or size");
      }
      long end = entry.getOffset() + entry.getSize();
      if (end > needed[shard]) {
        needed[shard] = end;
        neededBy[shard] = e.getKey();
      }
    }
    for (int i = 0; i < numShards; i++) {
      Location data = BundleFiles.data(prefix, i, numShards);
      long length;
      try {
        length = storage.inputFile(data).length();
      } catch (LocationNotFoundException e) {
        missingDataFiles.add(data);
        missingShards.add(i);
        continue;
      }
      if (length < needed[i]) {
        throw new WrongInputException(data + " holds " + length + " bytes but the index needs " + needed[i]
            + " (tensor '" + neededBy[i] + "'): the .index and .data files come from different saves, or the data "
            + "file is truncated. Use the .index and .data files written together (same step).");
      }
    }
    if (!missingDataFiles.isEmpty() && !allowMissing) {
      throw incomplete();
    }
  }

  private WrongInputException incomplete() {
    return new WrongInputException(BundleFiles.incomplete(prefix, numShards, missingDataFiles) + ". "
        + BundleFiles.copyAllTogether(prefix));
  }

  /** The data files the index needs that are not there (empty unless opened {@link #openForListing for listing}). */
  public List<Location> missingDataFiles() {
    return List.copyOf(missingDataFiles);
  }

  @Override
  public Location location() {
    return prefix;
  }

  @Override
  public String format() {
    return "v2";
  }

  public int numShards() {
    return numShards;
  }

  public boolean isBigEndian() {
    return bigEndian;
  }

  @Override
  public List<TensorInfo> tensors() {
    return tensors;
  }

  /** The raw index entry of a tensor (its shard, offset, size and crc). */
  public BundleEntryProto entry(String name) {
    require(name);
    return entries.get(name);
  }

  @Override
  public TensorData read(String name) {
    TensorInfo info = require(name);
    if (!info.isPartitioned()) {
      return dataOf(name, entries.get(name), info.dtype(), info.shape());
    }
    return assemble(info);
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    TensorInfo info = require(name);
    Map<TensorSlice, BundleEntryProto> stored = sliceEntries.get(name);
    BundleEntryProto entry = stored == null ? null : stored.get(slice);
    if (entry == null) {
      throw new WrongInputException("Tensor '" + name + "' in " + prefix + " has no stored slice " + slice
          + "; its slices are " + info.slices());
    }
    return dataOf(name + " (slice " + slice + ")", entry, info.dtype(), slice.sliceShape(info.shape()));
  }

  private synchronized RandomAccessInput shard(int id) {
    if (shards[id] == null) {
      shards[id] = storage.inputFile(BundleFiles.data(prefix, id, numShards)).open();
    }
    return shards[id];
  }

  private TensorData dataOf(String name, BundleEntryProto entry, DType dtype, Shape shape) {
    if (missingShards.contains(entry.getShardId())) {
      throw incomplete();
    }
    Location file = BundleFiles.data(prefix, entry.getShardId(), numShards);
    String where = "tensor '" + name + "' (" + file + ", offset " + entry.getOffset() + ", " + entry.getSize() + " bytes)";
    if (dtype.isFixedSize()) {
      long expected = shape.byteSize(dtype);
      if (entry.getSize() != expected) {
        throw new CorruptInputException("Invalid size in the index entry of " + where + ": " + dtype + shape
            + " needs " + expected + " bytes");
      }
    } else if (dtype != DType.STRING && dtype != DType.VARIANT) {
      throw new UnsupportedInputException("Tensor '" + name + "' has dtype " + dtype + ", which checkpoints cannot hold");
    }
    return new TensorData() {
      @Override
      public DType dtype() {
        return dtype;
      }

      @Override
      public Shape shape() {
        return shape;
      }

      @Override
      public java.util.OptionalInt verifiedCrc32c() {
        // the stored crc is that of the canonical bytes unless they are byte-swapped on the way
        boolean unchanged = dtype.isFixedSize() && !(bigEndian && dtype.swapUnit() > 1);
        return unchanged ? java.util.OptionalInt.of(Crc32c.unmask(entry.getCrc32C())) : java.util.OptionalInt.empty();
      }

      @Override
      public java.nio.channels.ReadableByteChannel openChannel() {
        if (!dtype.isFixedSize() || (bigEndian && dtype.swapUnit() > 1)) {
          return TensorData.super.openChannel();
        }
        return new ChecksummedChannel(shard(entry.getShardId()).channel(entry.getOffset(), entry.getSize()),
            entry.getSize(), Crc32c.unmask(entry.getCrc32C()), detail -> detailFor(where, detail));
      }

      @Override
      public InputStream open() {
        if (dtype == DType.STRING) {
          return new StringTensorStream(shard(entry.getShardId()), entry, shape.numElements(), where, bigEndian);
        }
        if (dtype == DType.VARIANT) {
          return new VariantTensorStream(shard(entry.getShardId()), entry, shape.numElements(), where);
        }
        InputStream checked = new ChecksummedInputStream(shard(entry.getShardId()).stream(entry.getOffset(), entry.getSize()),
            entry.getSize(), Crc32c.unmask(entry.getCrc32C()), detail -> detailFor(where, detail));
        return bigEndian && dtype.swapUnit() > 1 ? new ByteSwappingInputStream(checked, dtype.swapUnit()) : checked;
      }
    };
  }

  static String detailFor(String where, String detail) {
    return "Checksum does not match for " + where + ": " + detail
        + ". The data file is corrupt, or the .index and .data files come from different saves: copy all files of "
        + "the checkpoint again, together, from where they were written (tfgw cp checks every copy).";
  }

  @Override
  public synchronized void close() {
    for (int i = 0; i < shards.length; i++) {
      if (shards[i] != null) {
        shards[i].close();
        shards[i] = null;
      }
    }
  }

  /**
   * A string tensor's canonical bytes from {@code [varint64 len]... [fixed32 masked crc of lengths] [bytes]...}.
   * Lengths and bytes are read by two cursors over the same range, so nothing proportional to the tensor is held;
   * the lengths are checked against their own checksum before any byte is returned.
   */
  private static final class StringTensorStream extends InputStream {
    private final InputStream lengths;
    private final InputStream bytes;
    private final CRC32C crc = new CRC32C();
    private final int expected;
    private final String where;
    private long elementsLeft;
    private long elementBytesLeft;
    private final byte[] header = new byte[8];
    private int headerPos = 8;
    private boolean verified;

    StringTensorStream(RandomAccessInput input, BundleEntryProto entry, long numElements, String where, boolean swap) {
      this.where = where;
      this.expected = Crc32c.unmask(entry.getCrc32C());
      long size = entry.getSize();
      if (numElements > size) {
        throw new CorruptInputException("Tensor data of " + where + " is too small for " + numElements + " strings");
      }
      // Pass 1: lengths and their checksum.
      long lengthsBytes = 0;
      long total = 0;
      try (InputStream in = input.stream(entry.getOffset(), size)) {
        CountingInput counting = new CountingInput(in);
        byte[] eight = new byte[8];
        for (long i = 0; i < numElements; i++) {
          long len = StreamVarints.readVarint64(counting, where);
          if (len < 0 || len > size) {
            throw new CorruptInputException("String " + i + " of " + where + " claims " + Long.toUnsignedString(len) + " bytes");
          }
          total += len;
          int n = Long.compareUnsigned(len, 0xffffffffL) <= 0 ? 4 : 8;
          for (int b = 0; b < n; b++) {
            eight[swap ? n - 1 - b : b] = (byte) (len >>> (8 * b));
          }
          crc.update(eight, 0, n);
        }
        lengthsBytes = counting.count;
        int stored = StreamVarints.readFixed32(counting, where);
        int storedForCrc = stored;
        if (swap) {
          stored = Integer.reverseBytes(stored);
        }
        if (Crc32c.unmask(stored) != (int) crc.getValue()) {
          throw new ChecksumMismatchException(detailFor(where, String.format(
              "the string length checksum does not match (stored %08x, computed %08x)", Crc32c.unmask(stored), (int) crc.getValue())));
        }
        for (int b = 0; b < 4; b++) {
          eight[b] = (byte) (storedForCrc >>> (8 * b));
        }
        crc.update(eight, 0, 4);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (lengthsBytes + 4 + total != size) {
        throw new CorruptInputException("Tensor data of " + where + " holds " + size + " bytes but its strings need "
            + (lengthsBytes + 4 + total));
      }
      this.lengths = input.stream(entry.getOffset(), lengthsBytes);
      this.bytes = input.stream(entry.getOffset() + lengthsBytes + 4, total);
      this.elementsLeft = numElements;
      if (numElements == 0) {
        verify();
      }
    }

    private void verify() {
      if (!verified) {
        verified = true;
        if ((int) crc.getValue() != expected) {
          throw new ChecksumMismatchException(detailFor(where, String.format("checksum mismatch (stored %08x, computed %08x)",
              expected, (int) crc.getValue())));
        }
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (true) {
        if (headerPos < 8) {
          int n = Math.min(len, 8 - headerPos);
          System.arraycopy(header, headerPos, b, off, n);
          headerPos += n;
          return n;
        }
        if (elementBytesLeft > 0) {
          int n = bytes.read(b, off, (int) Math.min(len, elementBytesLeft));
          if (n < 0) {
            throw new CorruptInputException("String data of " + where + " ends early");
          }
          crc.update(b, off, n);
          elementBytesLeft -= n;
          if (elementBytesLeft == 0 && elementsLeft == 0) {
            verify();
          }
          return n;
        }
        if (elementsLeft == 0) {
          verify();
          return -1;
        }
        long l = StreamVarints.readVarint64(lengths, where);
        elementsLeft--;
        CanonicalStrings.putLength(header, 0, l);
        headerPos = 0;
        elementBytesLeft = l;
        if (l == 0 && elementsLeft == 0) {
          verify();
        }
      }
    }

    @Override
    public void close() throws IOException {
      lengths.close();
      bytes.close();
    }
  }

  /** A variant tensor: per element {@code varint64 len, VariantTensorDataProto bytes, fixed32 masked running crc}. */
  private static final class VariantTensorStream extends InputStream {
    private final InputStream in;
    private final CRC32C crc = new CRC32C();
    private final int expected;
    private final String where;
    private long elementsLeft;
    private long elementBytesLeft;
    private final byte[] header = new byte[8];
    private int headerPos = 8;

    VariantTensorStream(RandomAccessInput input, BundleEntryProto entry, long numElements, String where) {
      this.in = input.stream(entry.getOffset(), entry.getSize());
      this.expected = Crc32c.unmask(entry.getCrc32C());
      this.where = where;
      if (numElements > entry.getSize()) {
        throw new CorruptInputException("Tensor data of " + where + " is too small for " + numElements + " variants");
      }
      this.elementsLeft = numElements;
    }

    private void elementEnd() {
      int stored = StreamVarints.readFixed32(in, where);
      if (Crc32c.unmask(stored) != (int) crc.getValue()) {
        throw new ChecksumMismatchException(detailFor(where, "a variant element checksum does not match"));
      }
      byte[] four = {(byte) stored, (byte) (stored >>> 8), (byte) (stored >>> 16), (byte) (stored >>> 24)};
      crc.update(four);
      if (elementsLeft == 0 && (int) crc.getValue() != expected) {
        throw new ChecksumMismatchException(detailFor(where, "checksum mismatch"));
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (true) {
        if (headerPos < 8) {
          int n = Math.min(len, 8 - headerPos);
          System.arraycopy(header, headerPos, b, off, n);
          headerPos += n;
          if (headerPos == 8 && elementBytesLeft == 0) {
            elementEnd();
          }
          return n;
        }
        if (elementBytesLeft > 0) {
          int n = in.read(b, off, (int) Math.min(len, elementBytesLeft));
          if (n < 0) {
            throw new CorruptInputException("Variant data of " + where + " ends early");
          }
          crc.update(b, off, n);
          elementBytesLeft -= n;
          if (elementBytesLeft == 0) {
            elementEnd();
          }
          return n;
        }
        if (elementsLeft == 0) {
          return -1;
        }
        long l = StreamVarints.readVarint64(in, where);
        elementsLeft--;
        byte[] eight = new byte[8];
        CanonicalStrings.putLength(eight, 0, l);
        crc.update(eight); // the length is checksummed as a uint64
        CanonicalStrings.putLength(header, 0, l);
        headerPos = 0;
        elementBytesLeft = l;
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Counts bytes read. */
  private static final class CountingInput extends InputStream {
    private final InputStream in;
    private long count;

    CountingInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }
  }
}
