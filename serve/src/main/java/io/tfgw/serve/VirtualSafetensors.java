package io.tfgw.serve;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.convert.NamePlan;
import io.tfgw.converters.resolve.Resolved;
import io.tfgw.converters.resolve.Resolver;
import io.tfgw.converters.safetensors.SafetensorsWriter;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.TfgwException;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.tensor.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.safetensors} a directory holding a TensorFlow checkpoint (or a SavedModel) seems to have: byte
 * for byte the file {@code tfgw convert DIR model.safetensors --to safetensors} would write, never written. Its
 * header comes from the checkpoint's {@code .index} alone ({@link SafetensorsWriter#layout}), so a client reading
 * the tensor list ({@code parseSafetensorsMetadata}: two small range reads) costs an index read. Data ranges map
 * onto the tensors' bytes in the checkpoint's data files.
 *
 * <p>Every tensor a range touches is read from its start to its end, so the checkpoint's CRC32C of that tensor is
 * checked; the last bytes of the range are held back until that check passes, so a damaged tensor cuts the response
 * short rather than completing it with bad bytes. The price is reading whole tensors for small ranges inside them.
 */
final class VirtualSafetensors implements Blob {
  static final String NAME = "model.safetensors";
  private static final int HOLD_BACK = 1 << 16;

  private final Storage storage;
  private final Resolved checkpoint;
  private final SafetensorsWriter.Layout layout;
  private final Map<String, String> sourceNames;
  private final String etag;

  private VirtualSafetensors(Storage storage, Resolved checkpoint, SafetensorsWriter.Layout layout,
      Map<String, String> sourceNames, String etag) {
    this.storage = storage;
    this.checkpoint = checkpoint;
    this.layout = layout;
    this.sourceNames = sourceNames;
    this.etag = etag;
  }

  /**
   * The checkpoint a directory's virtual file presents: a V2 checkpoint directly in it (the latest by its
   * {@code checkpoint} state file) or a SavedModel's variables; null when there is none.
   */
  static Resolved checkpointIn(Storage storage, Location dir, List<FileEntry> files) {
    boolean candidate = false;
    for (FileEntry f : files) {
      Location parent = f.location().parent();
      String name = f.location().fileName();
      if ((parent.equals(dir) && (name.endsWith(".index") || name.equals("saved_model.pb")))) {
        candidate = true;
      }
      if (parent.equals(dir) && name.equals(NAME)) {
        return null; // a real file wins
      }
    }
    if (!candidate) {
      return null;
    }
    try {
      Resolved r = new Resolver(storage).resolve(dir);
      return r.format().equals("v2") || r.format().equals("savedmodel") ? r : null;
    } catch (TfgwException e) {
      return null; // several unrelated checkpoints and no state file: no single file to present
    }
  }

  /** The virtual file of a checkpoint; 404 naming the reason when safetensors cannot hold its tensors. */
  static VirtualSafetensors of(Storage storage, Resolved checkpoint) {
    Location index = checkpoint.format().equals("savedmodel")
        ? BundleFiles.index(checkpoint.target().resolve("variables/variables"))
        : BundleFiles.index(checkpoint.target());
    try (CheckpointReader reader = Checkpoints.open(storage, checkpoint)) {
      Map<String, String> sourceNames = new HashMap<>();
      List<TensorInfo> renamed = new ArrayList<>();
      for (NamePlan.Entry e : new NamePlan().apply(reader.tensors())) {
        sourceNames.put(e.name(), e.source().name());
        renamed.add(new TensorInfo(e.name(), e.source().dtype(), e.source().shape()));
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("format", "tf"); // what TensorFileConverter.toSafetensors writes for a TF checkpoint
      SafetensorsWriter.Layout layout;
      try {
        layout = SafetensorsWriter.layout(renamed, metadata);
      } catch (TfgwException e) {
        throw HttpError.notFound(NAME + " is not offered here: " + e.getMessage());
      }
      // the index holds every tensor's crc32c, so its bytes identify the content
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(storage.inputFile(index).readAllBytes());
      sha.update(layout.header());
      String etag = "\"st-" + HexFormat.of().formatHex(sha.digest(), 0, 16) + "\"";
      return new VirtualSafetensors(storage, checkpoint, layout, sourceNames, etag);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  SafetensorsWriter.Layout layout() {
    return layout;
  }

  @Override
  public long length() {
    return layout.length();
  }

  @Override
  public String etag() {
    return etag;
  }

  @Override
  public String contentType() {
    return "application/octet-stream";
  }

  @Override
  public void copy(long position, long count, OutputStream out) throws IOException {
    byte[] header = layout.header();
    long end = position + count;
    if (position < header.length) {
      int n = (int) Math.min(header.length - position, count);
      out.write(header, (int) position, n);
    }
    long dataFrom = Math.max(position, header.length) - header.length;
    long dataTo = end - header.length;
    if (dataTo <= dataFrom) {
      return;
    }
    try (CheckpointReader reader = Checkpoints.open(storage, checkpoint)) {
      for (SafetensorsWriter.Placed t : layout.tensors()) {
        if (t.end() <= dataFrom || t.begin() >= dataTo || t.end() == t.begin()) {
          continue;
        }
        copyTensorPart(reader, t, Math.max(dataFrom, t.begin()) - t.begin(), Math.min(dataTo, t.end()) - t.begin(),
            out);
      }
    }
  }

  /** Bytes {@code [from, to)} of one tensor, reading it whole so that its checksum is checked before the last bytes go. */
  private void copyTensorPart(CheckpointReader reader, SafetensorsWriter.Placed t, long from, long to,
      OutputStream out) throws IOException {
    byte[] buffer = new byte[1 << 16];
    byte[] held = new byte[HOLD_BACK];
    int heldLength = 0;
    long holdFrom = Math.max(from, to - HOLD_BACK);
    try (InputStream in = reader.read(sourceNames.get(t.name())).open()) {
      long at = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        long chunkEnd = at + n;
        long a = Math.max(at, from);
        long b = Math.min(chunkEnd, holdFrom);
        if (b > a) {
          out.write(buffer, (int) (a - at), (int) (b - a));
        }
        long ha = Math.max(at, holdFrom);
        long hb = Math.min(chunkEnd, to);
        if (hb > ha) {
          System.arraycopy(buffer, (int) (ha - at), held, heldLength, (int) (hb - ha));
          heldLength += (int) (hb - ha);
        }
        at = chunkEnd;
      }
      if (at != t.end() - t.begin()) {
        throw new IOException("tensor '" + t.name() + "' gave " + at + " bytes, expected " + (t.end() - t.begin()));
      }
    }
    out.write(held, 0, heldLength); // the stream reached its end: its checksum matched
  }
}
