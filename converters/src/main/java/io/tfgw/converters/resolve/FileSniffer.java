package io.tfgw.converters.resolve;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tfgw.converters.v2.BundleFiles;
import io.tfgw.core.CorruptInputException;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.table.TableEntry;
import io.tfgw.core.table.TableFormat;
import io.tfgw.core.table.TableReader;
import io.tfgw.proto.BundleHeaderProto;
import io.tfgw.proto.SavedTensorSlices;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Recognises a file by its bytes: the table magic in the last 8 bytes, the HDF5 signature, the safetensors header,
 * the text of a {@code checkpoint} state file. Reads at most a few small ranges.
 */
public final class FileSniffer {
  private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

  private FileSniffer() {}

  public static FileKind sniff(Storage storage, Location file) {
    try (RandomAccessInput in = storage.inputFile(file).open()) {
      long length = in.length();
      if (length == 0) {
        // a data shard of only empty tensors is legitimately empty
        return BundleFiles.prefixOfDataFile(file) != null ? FileKind.V2_DATA : FileKind.EMPTY;
      }
      byte[] head = in.readFully(0, (int) Math.min(64, length));
      if (length >= TableFormat.FOOTER_LENGTH && TableFormat.endsWithMagic(in.readTail(8))) {
        return tableKind(in);
      }
      if (isHdf5(in, head)) {
        return FileKind.HDF5;
      }
      if (isSafetensors(head, length)) {
        return FileKind.SAFETENSORS;
      }
      if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 && head[3] == 4
          || head[2] == 5 && head[3] == 6)) {
        return FileKind.ZIP;
      }
      String text = new String(head, StandardCharsets.UTF_8).stripLeading();
      if (text.startsWith("version https://git-lfs.github.com/spec/")) {
        return FileKind.GIT_LFS_POINTER;
      }
      if (text.startsWith("model_checkpoint_path") || text.startsWith("all_model_checkpoint_paths")) {
        return FileKind.CHECKPOINT_STATE;
      }
      if (BundleFiles.prefixOfDataFile(file) != null) {
        return FileKind.V2_DATA;
      }
      if (text.startsWith("{") && looksLikeJsonObject(text)) {
        return FileKind.JSON;
      }
      if (OnnxSniffer.isOnnxModel(in)) {
        return FileKind.ONNX;
      }
      if (looksLikeProtobuf(head, length)) {
        return FileKind.PROTOBUF;
      }
      return FileKind.UNKNOWN;
    }
  }

  private static FileKind tableKind(RandomAccessInput in) {
    try {
      Iterator<TableEntry> it = TableReader.open(in).iterator();
      if (!it.hasNext()) {
        return FileKind.OTHER_TABLE;
      }
      TableEntry first = it.next();
      if (first.key().length != 0) {
        return FileKind.OTHER_TABLE;
      }
      byte[] v = first.value();
      // BundleHeaderProto starts with field 1 as a varint (tag 0x08); SavedTensorSlices with field 1 as a message (0x0a).
      if (v.length > 0 && (v[0] & 0xff) == 0x0a) {
        SavedTensorSlices sts = SavedTensorSlices.parseFrom(v);
        if (sts.hasMeta()) {
          return FileKind.V1_TABLE;
        }
      }
      BundleHeaderProto h = BundleHeaderProto.parseFrom(v);
      return h.getNumShards() > 0 ? FileKind.V2_INDEX : FileKind.OTHER_TABLE;
    } catch (InvalidProtocolBufferException | CorruptInputException e) {
      return FileKind.OTHER_TABLE;
    }
  }

  private static boolean isHdf5(RandomAccessInput in, byte[] head) {
    // The superblock may follow a user block of 512, 1024, 2048, ... bytes.
    for (long at = 0; at + 8 <= in.length() && at <= 1 << 20; at = at == 0 ? 512 : at * 2) {
      byte[] sig = at == 0 ? head : in.readFully(at, 8);
      if (sig.length >= 8 && java.util.Arrays.equals(java.util.Arrays.copyOf(sig, 8), HDF5_SIGNATURE)) {
        return true;
      }
    }
    return false;
  }

  /** A JSON object's start: '{' then whitespace and a quoted key or '}'. Protobufs never start this way. */
  private static boolean looksLikeJsonObject(String text) {
    String rest = text.substring(1).stripLeading();
    return rest.isEmpty() || rest.charAt(0) == '"' || rest.charAt(0) == '}';
  }

  private static boolean isSafetensors(byte[] head, long length) {
    if (head.length < 10) {
      return false;
    }
    long n = 0;
    for (int i = 7; i >= 0; i--) {
      n = (n << 8) | (head[i] & 0xff);
    }
    return n > 1 && n <= length - 8 && head[8] == '{';
  }

  /**
   * Whether the first bytes parse as protobuf fields: valid wire types, field numbers in range, lengths that fit
   * the file. Text and random binary fail within a few bytes.
   */
  private static boolean looksLikeProtobuf(byte[] head, long fileLength) {
    int pos = 0;
    int fields = 0;
    while (pos < head.length) {
      long tag = 0;
      int shift = 0;
      int b;
      do {
        if (pos >= head.length) {
          return fields > 0;
        }
        b = head[pos++] & 0xff;
        tag |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0 && shift < 35);
      int wire = (int) (tag & 7);
      long field = tag >>> 3;
      if (field < 1 || field > 536_870_911L) {
        return false;
      }
      switch (wire) {
        case 0:
          while (pos < head.length && (head[pos] & 0x80) != 0) {
            pos++;
          }
          pos++;
          break;
        case 1:
          pos += 8;
          break;
        case 5:
          pos += 4;
          break;
        case 2: {
          long len = 0;
          shift = 0;
          do {
            if (pos >= head.length) {
              return fields > 0;
            }
            b = head[pos++] & 0xff;
            len |= (long) (b & 0x7f) << shift;
            shift += 7;
          } while ((b & 0x80) != 0 && shift < 63);
          if (len > fileLength - pos) {
            return false;
          }
          pos += (int) Math.min(len, Integer.MAX_VALUE);
          break;
        }
        default:
          return false;
      }
      fields++;
    }
    return fields > 0;
  }
}
