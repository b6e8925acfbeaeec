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

  public static Result write(OutputFile destination, List<Tensor> tensors, Map<String, String> metadata) {
    check(tensors);
    List<Tensor> ordered = new ArrayList<>(tensors);
    ordered.sort(Comparator.comparingInt((Tensor t) -> -t.data().dtype().elementSize()).thenComparing(Tensor::name));
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode header = mapper.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
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
    try (AtomicOutputStream out = destination.create()) {
      byte[] len = new byte[8];
      for (int i = 0; i < 8; i++) {
        len[i] = (byte) (headerLength >>> (8 * i));
      }
      out.write(len);
      out.write(json);
      for (int i = 0; i < padding; i++) {
        out.write(' ');
      }
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
