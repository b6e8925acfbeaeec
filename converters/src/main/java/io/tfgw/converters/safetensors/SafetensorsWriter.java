package io.tfgw.converters.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.StorageException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import io.tfgw.core.tensor.TensorInfo;
import io.tfgw.core.tensor.TensorData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a safetensors file in one pass: the header first (every offset follows from dtypes and shapes, so no value
 * is read for it), then each tensor streamed from its source. Layout as the safetensors crate writes it: tensors
 * ordered by element size (largest first) then name, so every tensor is aligned to its element size; compact JSON
 * with {@code __metadata__} first, padded with spaces to a multiple of 8 bytes.
 */
public final class SafetensorsWriter {
  /** One tensor to write. */
  public record Tensor(String name, TensorData data) {}

  /** What was written. */
  public record Result(int tensors, long bytes) {}

  private SafetensorsWriter() {}

  /** Checks that safetensors can hold every tensor; the message names all that it cannot. */
  public static void check(List<Tensor> tensors) {
    List<String> bad = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Tensor t : tensors) {
      if (SafetensorsDTypes.nameOf(t.data().dtype()) == null) {
        bad.add(t.name() + " (" + t.data().dtype() + ")");
      }
      if (!names.add(t.name())) {
        throw new WrongInputException("Two tensors are named '" + t.name() + "'");
      }
      if (t.name().equals("__metadata__")) {
        throw new WrongInputException("A tensor cannot be named __metadata__ in safetensors; rename it with --rename");
      }
    }
    if (!bad.isEmpty()) {
      throw new UnsupportedInputException("safetensors cannot hold " + bad.size() + " of the tensors: "
          + String.join(", ", bad.subList(0, Math.min(5, bad.size()))) + (bad.size() > 5 ? ", ..." : "")
          + " (it has no string, complex128 or quantized types). Leave them out with --exclude.");
    }
  }

  /** A tensor's place in the file: its bytes are {@code [begin, end)} of the data section. */
  public record Placed(String name, DType dtype, Shape shape, long begin, long end) {}

  /**
   * Where everything goes, decided from names, dtypes and shapes alone: the header bytes (8-byte length, JSON,
   * padding) and each tensor's data range in writing order. {@code tfgw serve}'s virtual {@code model.safetensors}
   * uses it to present a checkpoint byte for byte as {@link #write} would write it, without reading any value.
   */
  public record Layout(byte[] header, List<Placed> tensors) {
    /** The file's length: header plus data. */
    public long length() {
      return header.length + (tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end());
    }
  }

  /** The layout {@link #write} uses for these tensors (checked as {@link #check} does). */
  public static Layout layout(List<TensorInfo> tensors, Map<String, String> metadata) {
    List<Tensor> asTensors = new ArrayList<>();
    for (TensorInfo t : tensors) {
      asTensors.add(new Tensor(t.name(), new MetadataOnly(t.dtype(), t.shape())));
    }
    return layoutOf(asTensors, metadata);
  }

  /** Dtype and shape without values, for laying out a file. */
  private record MetadataOnly(DType dtype, Shape shape) implements TensorData {
    @Override
    public InputStream open() {
      throw new IllegalStateException("layout only");
    }
  }

  private static Layout layoutOf(List<Tensor> tensors, Map<String, String> metadata) {
    check(tensors);
    List<Tensor> ordered = new ArrayList<>(tensors);
    ordered.sort(Comparator.comparingInt((Tensor t) -> -t.data().dtype().elementSize()).thenComparing(Tensor::name));
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode header = mapper.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    List<Placed> placed = new ArrayList<>();
    long offset = 0;
    for (Tensor t : ordered) {
      DType dtype = t.data().dtype();
      long size = t.data().shape().byteSize(dtype);
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", SafetensorsDTypes.nameOf(dtype));
      ArrayNode shape = e.putArray("shape");
      for (long d : t.data().shape().dims()) {
        shape.add(d);
      }
      ArrayNode offsets = e.putArray("data_offsets");
      offsets.add(offset);
      offsets.add(offset + size);
      placed.add(new Placed(t.name(), dtype, t.data().shape(), offset, offset + size));
      offset += size;
    }
    byte[] json;
    try {
      json = mapper.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    int padding = (8 - json.length % 8) % 8;
    long headerLength = json.length + padding;
    byte[] bytes = new byte[8 + json.length + padding];
    for (int i = 0; i < 8; i++) {
      bytes[i] = (byte) (headerLength >>> (8 * i));
    }
    System.arraycopy(json, 0, bytes, 8, json.length);
    java.util.Arrays.fill(bytes, 8 + json.length, bytes.length, (byte) ' ');
    return new Layout(bytes, placed);
  }

  public static Result write(OutputFile destination, List<Tensor> tensors, Map<String, String> metadata) {
    Layout layout = layoutOf(tensors, metadata);
    Map<String, Tensor> byName = new java.util.HashMap<>();
    tensors.forEach(t -> byName.put(t.name(), t));
    List<Tensor> ordered = layout.tensors().stream().map(p -> byName.get(p.name())).toList();
    try (AtomicOutputStream out = destination.create()) {
      out.write(layout.header());
      byte[] buffer = new byte[1 << 16];
      for (Tensor t : ordered) {
        long expected = t.data().shape().byteSize(t.data().dtype());
        long copied = 0;
        try (InputStream in = t.data().open()) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
            copied += n;
          }
        }
        if (copied != expected) {
          throw new StorageException("Tensor '" + t.name() + "' gave " + copied + " bytes, expected " + expected);
        }
      }
      long total = out.position();
      out.commit();
      return new Result(ordered.size(), total);
    } catch (IOException e) {
      throw new StorageException("Cannot write " + destination.location() + ": " + e.getMessage(), e);
    }
  }
}
