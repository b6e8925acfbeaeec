package io.tfgw.converters.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorData;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorSlice;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A safetensors file as a checkpoint: an 8-byte little-endian header length, a JSON header
 * {@code {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}}, then
 * the tensors' little-endian bytes, offsets relative to the end of the header. Opening reads the header only; each
 * tensor streams from its byte range. The header is checked as the safetensors crate checks it: sizes match dtype
 * and shape, ranges stay inside the file and do not overlap.
 */
public final class SafetensorsReader implements CheckpointReader {
  /** The safetensors crate refuses headers above 100 MB. */
  static final long MAX_HEADER = 100_000_000L;

  private record Entry(TensorInfo info, long begin, long end) {}

  private final Location location;
  private final RandomAccessInput input;
  private final long dataStart;
  private final Map<String, Entry> entries = new TreeMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final List<TensorInfo> tensors = new ArrayList<>();

  private SafetensorsReader(Location location, RandomAccessInput input) {
    this.location = location;
    this.input = input;
    long length = input.length();
    if (length < 8) {
      throw new CorruptInputException(location + " is too short (" + length + " bytes) to be a safetensors file");
    }
    byte[] len = input.readFully(0, 8);
    long n = 0;
    for (int i = 7; i >= 0; i--) {
      n = (n << 8) | (len[i] & 0xff);
    }
    if (n < 2 || n > MAX_HEADER || n > length - 8) {
      throw new CorruptInputException(location + ": safetensors header length " + Long.toUnsignedString(n)
          + " is impossible for a file of " + length + " bytes");
    }
    dataStart = 8 + n;
    JsonNode header;
    try {
      header = new ObjectMapper().readTree(new String(input.readFully(8, (int) n), StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new CorruptInputException(location + ": the safetensors header is not valid JSON: " + e.getOriginalMessage());
    }
    if (header == null || !header.isObject()) {
      throw new CorruptInputException(location + ": the safetensors header is not a JSON object");
    }
    long dataLength = length - dataStart;
    List<Entry> byOffset = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getKey().equals("__metadata__")) {
        f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      Entry e = entry(f.getKey(), f.getValue(), dataLength);
      entries.put(f.getKey(), e);
      byOffset.add(e);
    }
    byOffset.sort((a, b) -> Long.compare(a.begin(), b.begin()));
    for (int i = 1; i < byOffset.size(); i++) {
      Entry prev = byOffset.get(i - 1);
      Entry cur = byOffset.get(i);
      if (cur.begin() < prev.end()) {
        throw new CorruptInputException(location + ": tensors '" + prev.info().name() + "' and '" + cur.info().name()
            + "' overlap (bytes " + prev.begin() + "-" + prev.end() + " and " + cur.begin() + "-" + cur.end() + ")");
      }
    }
    entries.values().forEach(e -> tensors.add(e.info()));
  }

  private Entry entry(String name, JsonNode v, long dataLength) {
    String where = location + ": tensor '" + name + "'";
    JsonNode dt = v.get("dtype");
    JsonNode shape = v.get("shape");
    JsonNode offsets = v.get("data_offsets");
    if (dt == null || !dt.isTextual() || shape == null || !shape.isArray() || offsets == null || !offsets.isArray()
        || offsets.size() != 2) {
      throw new CorruptInputException(where + " needs dtype, shape and data_offsets [begin, end] in the header");
    }
    DType dtype = SafetensorsDTypes.fromName(dt.asText());
    if (dtype == null) {
      throw new UnsupportedInputException(where + " has dtype " + dt.asText() + ", which TensorFlow has no type for");
    }
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      if (!shape.get(i).canConvertToLong() || shape.get(i).asLong() < 0) {
        throw new CorruptInputException(where + " has a bad shape " + shape);
      }
      dims[i] = shape.get(i).asLong();
    }
    Shape s = Shape.of(dims);
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin || end > dataLength) {
      throw new CorruptInputException(where + " has data_offsets [" + begin + ", " + end + "] outside the "
          + dataLength + " data bytes: the file is truncated or corrupt");
    }
    if (end - begin != s.byteSize(dtype)) {
      throw new CorruptInputException(where + " is " + dtype + s + " (" + s.byteSize(dtype) + " bytes), but its "
          + "data_offsets span " + (end - begin) + " bytes");
    }
    return new Entry(new TensorInfo(name, dtype, s), begin, end);
  }

  public static SafetensorsReader open(Storage storage, Location location) {
    RandomAccessInput input = storage.inputFile(location).open();
    try {
      return new SafetensorsReader(location, input);
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
  }

  /** The header's {@code __metadata__} (string to string), insertion-ordered. */
  public Map<String, String> metadata() {
    return Collections.unmodifiableMap(metadata);
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public String format() {
    return "safetensors";
  }

  @Override
  public List<TensorInfo> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  @Override
  public TensorData read(String name) {
    require(name);
    Entry e = entries.get(name);
    return new TensorData() {
      @Override
      public DType dtype() {
        return e.info().dtype();
      }

      @Override
      public Shape shape() {
        return e.info().shape();
      }

      @Override
      public InputStream open() {
        return input.stream(dataStart + e.begin(), e.end() - e.begin());
      }
    };
  }

  @Override
  public TensorData readSlice(String name, TensorSlice slice) {
    throw new WrongInputException("Tensor '" + name + "' of " + location + " is not partitioned");
  }

  @Override
  public void close() {
    input.close();
  }
}
