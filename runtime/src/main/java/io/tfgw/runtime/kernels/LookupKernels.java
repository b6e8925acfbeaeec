package io.tfgw.runtime.kernels;

import io.tfgw.runtime.KernelException;
import io.tfgw.runtime.LookupTable;
import io.tfgw.runtime.OpContext;
import io.tfgw.runtime.OpKernel;
import io.tfgw.runtime.Tensor;
import io.tfgw.core.tensor.DType;
import io.tfgw.core.tensor.Shape;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Lookup tables as TensorFlow's {@code HashTable} kernels run them: created by HashTableV2 (one table per shared
 * name, or per node when it has none, for the session's life), filled by InitializeTableV2 from tensors or by
 * InitializeTableFromTextFileV2 from a vocabulary file (read through the session's {@link
 * io.tfgw.runtime.GraphFiles}, so a SavedModel's assets are found wherever the model is stored), read by
 * LookupTableFindV2 and LookupTableSizeV2; LookupTableImportV2 (TF2's KeyValueTensorInitializer) initialises too. The TF1 forms without "V2" (reference-typed handles) run the same way.
 */
final class LookupKernels {
  /** {@code key_index}/{@code value_index} of TextFileIndex.WHOLE_LINE and LINE_NUMBER. */
  private static final long WHOLE_LINE = -2;
  private static final long LINE_NUMBER = -1;

  private LookupKernels() {}

  static void register(BiConsumer<String, OpKernel> r) {
    for (String v : List.of("V2", "")) {
      r.accept("HashTable" + v, LookupKernels::hashTable);
      r.accept("InitializeTable" + v, ctx -> {
        Tensor keys = ctx.input(1);
        if (keys.rank() != 1) {
          throw new KernelException("Keys must be a vector, but received shape" + keys.shape());
        }
        table(ctx).initialize(keys, ctx.input(2), keys.size());
      });
      // TF2's KeyValueTensorInitializer imports; a HashTable's import is its initialisation from the flattened keys
      r.accept("LookupTableImport" + v, ctx -> {
        Tensor keys = ctx.input(1);
        Tensor values = ctx.input(2);
        if (!keys.shape().equals(values.shape())) {
          throw new KernelException("Expected shape " + keys.shape() + " for value, got " + values.shape());
        }
        table(ctx).initialize(keys, values, keys.size());
      });
      r.accept("InitializeTableFromTextFile" + v, LookupKernels::initializeFromTextFile);
      r.accept("LookupTableFind" + v, ctx -> ctx.output(0, table(ctx).find(ctx.input(1), ctx.input(2))));
      r.accept("LookupTableSize" + v, ctx -> ctx.output(0, Tensor.scalar(table(ctx).size())));
    }
  }

  private static void hashTable(OpContext ctx) {
    String shared = ctx.attrString("shared_name", "");
    String key = shared.isEmpty() ? ctx.nodeName() : shared;
    DType keyType = ctx.attrType("key_dtype");
    DType valueType = ctx.attrType("value_dtype");
    LookupTable table = ctx.session().resource(LookupTable.resourceKey(key), LookupTable.class,
        () -> new LookupTable(key, keyType, valueType));
    if (table.keyType() != keyType || table.valueType() != valueType) {
      throw new KernelException("table '" + key + "' exists with key/value types " + table.keyType().pythonName()
          + "/" + table.valueType().pythonName() + ", not " + keyType.pythonName() + "/" + valueType.pythonName());
    }
    ctx.output(0, Tensor.of(DType.RESOURCE, Shape.scalar(), new Object[] {table}));
  }

  private static LookupTable table(OpContext ctx) {
    Tensor t = ctx.input(0);
    if (t.dtype() != DType.RESOURCE || t.size() != 1 || !(t.objects()[0] instanceof LookupTable table)) {
      throw new KernelException("input 0 must be the handle of a lookup table (HashTableV2), got " + t.dtype()
          + t.shape());
    }
    return table;
  }

  /**
   * TF's {@code InitializeTableFromTextFile}: one entry per line (lines split at '\n', a trailing '\r' dropped,
   * the last line counted without a newline); the key and value are the whole line, the line number (+ offset), or
   * a column split at the one-character delimiter. An empty line, a missing column or a field that does not parse
   * fails; vocab_size stops early or insists on that many lines. Initialising an initialised table is ignored.
   */
  private static void initializeFromTextFile(OpContext ctx) {
    LookupTable table = table(ctx);
    Tensor filenameTensor = ctx.input(1);
    if (filenameTensor.rank() != 0 || filenameTensor.dtype() != DType.STRING) {
      throw new KernelException("filename should be a single string, but got " + filenameTensor.shape());
    }
    String filename = new String(filenameTensor.strings()[0], StandardCharsets.UTF_8);
    long keyIndex = ctx.attrInt("key_index");
    long valueIndex = ctx.attrInt("value_index");
    long vocabSize = ctx.attrInt("vocab_size", -1);
    long offset = ctx.attrInt("offset", 0);
    String delimiter = ctx.attrString("delimiter", "\t");
    if (delimiter.length() != 1) {
      throw new KernelException("delimiter should be only 1 char");
    }
    checkIndex(keyIndex, table.keyType(), "key");
    checkIndex(valueIndex, table.valueType(), "value");
    byte[] content = ctx.session().files().read(filename);
    if (content.length == 0) {
      throw new KernelException("Invalid content in " + filename + ": the file is empty");
    }
    List<String> lines = lines(content);
    long total = vocabSize == -1 ? lines.size() : vocabSize;
    if (vocabSize != -1 && lines.size() < vocabSize) {
      throw new KernelException("Invalid vocab_size in " + filename + ": expected " + vocabSize + " but got "
          + lines.size());
    }
    int n = (int) Math.min(lines.size(), total);
    Object keys = Tensor.allocate(table.keyType(), n);
    Object values = Tensor.allocate(table.valueType(), n);
    char delim = delimiter.charAt(0);
    for (int line = 0; line < n; line++) {
      String text = lines.get(line);
      if (text.isEmpty()) {
        throw new KernelException("Invalid content in " + filename + ": empty line found at position " + line + ".");
      }
      List<String> columns = keyIndex >= 0 || valueIndex >= 0 ? split(text, delim) : List.of();
      if (Math.max(keyIndex, valueIndex) >= columns.size() && (keyIndex >= 0 || valueIndex >= 0)) {
        throw new KernelException("Invalid number of columns in " + filename + " line " + line + " (" + text
            + ") : expected " + Math.max(keyIndex, valueIndex) + " got " + columns.size());
      }
      set(keys, line, field(text, columns, keyIndex), keyIndex, table.keyType(), line + offset, line);
      set(values, line, field(text, columns, valueIndex), valueIndex, table.valueType(), line + offset, line);
    }
    try {
      table.initialize(Tensor.of(table.keyType(), Shape.of(n), keys), Tensor.of(table.valueType(), Shape.of(n), values),
          total);
    } catch (LookupTable.TableAlreadyInitializedException alreadyDone) {
      // TF: "Table trying to initialize from file ... is already initialized" is logged, not an error
    }
  }

  private static void checkIndex(long index, DType dtype, String what) {
    if (index == LINE_NUMBER && dtype != DType.INT64) {
      throw new KernelException("Key index for line number requires table " + what + " dtype of int64, got "
          + dtype.pythonName());
    }
    if (index == WHOLE_LINE && dtype != DType.STRING && dtype != DType.INT32 && dtype != DType.INT64) {
      throw new KernelException("Key index for whole line requires string or integer table " + what + ", got "
          + dtype.pythonName());
    }
    if (index < WHOLE_LINE) {
      throw new KernelException("Invalid " + what + " index " + index);
    }
  }

  private static String field(String line, List<String> columns, long index) {
    return index == WHOLE_LINE ? line : index >= 0 ? columns.get((int) index) : null;
  }

  /** Lines as TF's {@code InputBuffer::ReadLine} yields them, as ISO-8859-1 text (bytes kept one to one). */
  static List<String> lines(byte[] content) {
    String text = new String(content, StandardCharsets.ISO_8859_1);
    List<String> out = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      String line = nl < 0 ? text.substring(start) : text.substring(start, nl);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (nl < 0 && line.isEmpty()) {
        break; // a lone "\r" at the very end is no line
      }
      out.add(line);
      start = nl < 0 ? text.length() : nl + 1;
    }
    return out;
  }

  private static List<String> split(String line, char delimiter) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == delimiter) {
        out.add(line.substring(start, i));
        start = i + 1;
      }
    }
    out.add(line.substring(start));
    return out;
  }

  private static void set(Object array, int i, String token, long index, DType dtype, long lineNumber, int line) {
    if (index == LINE_NUMBER) {
      ((long[]) array)[i] = lineNumber;
      return;
    }
    switch (dtype) {
      case STRING:
        ((byte[][]) array)[i] = token.getBytes(StandardCharsets.ISO_8859_1);
        break;
      case INT32: {
        Integer v = TfNumbers.parseInt32(token);
        if (v == null) {
          throw invalid(token, line, "int32");
        }
        ((int[]) array)[i] = v;
        break;
      }
      case INT64: {
        Long v = TfNumbers.parseInt64(token);
        if (v == null) {
          throw invalid(token, line, "int64");
        }
        ((long[]) array)[i] = v;
        break;
      }
      case FLOAT: {
        Float v = TfNumbers.parseFloat(token);
        if (v == null) {
          throw invalid(token, line, "float");
        }
        ((float[]) array)[i] = v;
        break;
      }
      case DOUBLE: {
        Double v = TfNumbers.parseDouble(token);
        if (v == null) {
          throw invalid(token, line, "double");
        }
        ((double[]) array)[i] = v;
        break;
      }
      default:
        throw new KernelException("Data type " + dtype.pythonName() + " not supported.");
    }
  }

  private static KernelException invalid(String token, int line, String type) {
    return new KernelException("Field " + token + " in line " + line + " is not a valid " + type + ".");
  }
}
