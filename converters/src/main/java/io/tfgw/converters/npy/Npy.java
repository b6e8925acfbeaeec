package io.tfgw.converters.npy;

import io.tfgw.core.CorruptInputException;
import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.InMemoryTensorData;
import io.tfgw.core.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} format (versions 1 to 3): a magic string, a Python-dict header with {@code descr},
 * {@code fortran_order} and {@code shape}, then the raw elements. Reads numeric, bool and byte-string ({@code S})
 * arrays of either byte order and either memory order into canonical tensor bytes; writes C-order little-endian
 * arrays.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Parses a whole {@code .npy} file; {@code what} names it in errors. */
  public static InMemoryTensorData read(byte[] file, String what) {
    if (file.length < 10) {
      throw new CorruptInputException(what + " is too short to be a .npy file");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (file[i] != MAGIC[i]) {
        throw new CorruptInputException(what + " is not a .npy file (no \\x93NUMPY magic)");
      }
    }
    int major = file[6] & 0xff;
    int headerLen;
    int headerStart;
    if (major == 1) {
      headerLen = (file[8] & 0xff) | (file[9] & 0xff) << 8;
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      headerLen = (file[8] & 0xff) | (file[9] & 0xff) << 8 | (file[10] & 0xff) << 16 | (file[11] & 0xff) << 24;
      headerStart = 12;
    } else {
      throw new UnsupportedInputException(what + " is .npy format version " + major + "; versions 1 to 3 are supported");
    }
    if (headerLen < 0 || headerStart + (long) headerLen > file.length) {
      throw new CorruptInputException(what + ": the .npy header length " + headerLen + " exceeds the file");
    }
    String header = new String(file, headerStart, headerLen, major == 3 ? StandardCharsets.UTF_8
        : StandardCharsets.ISO_8859_1);
    String descr = group(DESCR, header, what, "descr");
    boolean fortran = group(FORTRAN, header, what, "fortran_order").equals("True");
    long[] dims = parseShape(group(SHAPE, header, what, "shape"), what);
    Shape shape = Shape.of(dims);
    int dataStart = headerStart + headerLen;
    char order = descr.charAt(0);
    String kind = descr.substring(1);
    boolean bigEndian = order == '>';
    if (order != '<' && order != '>' && order != '|' && order != '=') {
      throw new UnsupportedInputException(what + ": unknown byte order in descr '" + descr + "'");
    }
    long n = shape.numElements();
    if (kind.startsWith("S")) {
      int width = Integer.parseInt(kind.substring(1));
      checkLength(file, dataStart, n * width, what);
      List<byte[]> strings = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        int off = dataStart + (int) (i * width);
        int len = width;
        while (len > 0 && file[off + len - 1] == 0) {
          len--;
        }
        byte[] s = new byte[len];
        System.arraycopy(file, off, s, 0, len);
        strings.add(s);
      }
      if (fortran) {
        strings = reorder(strings, dims);
      }
      return InMemoryTensorData.ofStrings(shape, strings);
    }
    DType dtype = dtypeOf(kind, what);
    int size = dtype.elementSize();
    checkLength(file, dataStart, n * size, what);
    byte[] data = new byte[(int) (n * size)];
    System.arraycopy(file, dataStart, data, 0, data.length);
    if (bigEndian && size > 1) {
      for (int i = 0; i < data.length; i += size) {
        for (int a = i, b = i + size - 1; a < b; a++, b--) {
          byte t = data[a];
          data[a] = data[b];
          data[b] = t;
        }
      }
    }
    if (dtype == DType.BOOL) {
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (data[i] != 0 ? 1 : 0);
      }
    }
    if (fortran && dims.length > 1) {
      data = fortranToC(data, dims, size);
    }
    return new InMemoryTensorData(dtype, shape, data);
  }

  private static void checkLength(byte[] file, int start, long need, String what) {
    if (start + need > file.length) {
      throw new CorruptInputException(what + ": the .npy data needs " + need + " bytes, the file has "
          + (file.length - start));
    }
  }

  private static String group(Pattern p, String header, String what, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new CorruptInputException(what + ": the .npy header has no '" + key + "': " + header.trim());
    }
    return m.group(1);
  }

  private static long[] parseShape(String text, String what) {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String t = part.trim().replace("L", "");
      if (!t.isEmpty()) {
        try {
          dims.add(Long.parseLong(t));
        } catch (NumberFormatException e) {
          throw new CorruptInputException(what + ": bad .npy shape (" + text + ")");
        }
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private static DType dtypeOf(String kind, String what) {
    switch (kind.toLowerCase(Locale.ROOT)) {
      case "f2":
        return DType.HALF;
      case "f4":
        return DType.FLOAT;
      case "f8":
        return DType.DOUBLE;
      case "i1":
        return DType.INT8;
      case "i2":
        return DType.INT16;
      case "i4":
        return DType.INT32;
      case "i8":
        return DType.INT64;
      case "u1":
        return DType.UINT8;
      case "u2":
        return DType.UINT16;
      case "u4":
        return DType.UINT32;
      case "u8":
        return DType.UINT64;
      case "b1":
        return DType.BOOL;
      default:
        throw new UnsupportedInputException(what + ": .npy element type '" + kind + "' is not supported (numeric, "
            + "bool and byte strings are)");
    }
  }

  /** Column-major bytes to row-major. */
  private static byte[] fortranToC(byte[] data, long[] dims, int size) {
    int rank = dims.length;
    int n = data.length / size;
    byte[] out = new byte[data.length];
    long[] fStrides = new long[rank];
    long acc = 1;
    for (int d = 0; d < rank; d++) {
      fStrides[d] = acc;
      acc *= dims[d];
    }
    int[] idx = new int[rank];
    for (int i = 0; i < n; i++) {
      long src = 0;
      for (int d = 0; d < rank; d++) {
        src += idx[d] * fStrides[d];
      }
      System.arraycopy(data, (int) src * size, out, i * size, size);
      for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return out;
  }

  private static List<byte[]> reorder(List<byte[]> fortran, long[] dims) {
    if (dims.length < 2) {
      return fortran;
    }
    byte[][] out = new byte[fortran.size()][];
    int rank = dims.length;
    long[] fStrides = new long[rank];
    long acc = 1;
    for (int d = 0; d < rank; d++) {
      fStrides[d] = acc;
      acc *= dims[d];
    }
    int[] idx = new int[rank];
    for (int i = 0; i < out.length; i++) {
      long src = 0;
      for (int d = 0; d < rank; d++) {
        src += idx[d] * fStrides[d];
      }
      out[i] = fortran.get((int) src);
      for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return List.of(out);
  }

  /** A version 1.0 {@code .npy} file (C order, little-endian) of a fixed-size numeric or bool tensor. */
  public static byte[] write(DType dtype, Shape shape, byte[] canonical) {
    String descr;
    switch (dtype) {
      case HALF: descr = "<f2"; break;
      case FLOAT: descr = "<f4"; break;
      case DOUBLE: descr = "<f8"; break;
      case INT8: descr = "|i1"; break;
      case INT16: descr = "<i2"; break;
      case INT32: descr = "<i4"; break;
      case INT64: descr = "<i8"; break;
      case UINT8: descr = "|u1"; break;
      case UINT16: descr = "<u2"; break;
      case UINT32: descr = "<u4"; break;
      case UINT64: descr = "<u8"; break;
      case BOOL: descr = "|b1"; break;
      default:
        throw new UnsupportedInputException("Writing " + dtype + " tensors as .npy is not supported");
    }
    StringBuilder dims = new StringBuilder();
    for (int i = 0; i < shape.rank(); i++) {
      dims.append(shape.dim(i)).append(shape.rank() == 1 ? "," : i < shape.rank() - 1 ? ", " : "");
    }
    StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': ("
        + dims + "), }");
    while ((10 + header.length() + 1) % 64 != 0) {
      header.append(' ');
    }
    header.append('\n');
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(MAGIC, 0, MAGIC.length);
    out.write(1);
    out.write(0);
    out.write(header.length() & 0xff);
    out.write(header.length() >> 8);
    byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
    out.write(h, 0, h.length);
    out.write(canonical, 0, canonical.length);
    return out.toByteArray();
  }
}
