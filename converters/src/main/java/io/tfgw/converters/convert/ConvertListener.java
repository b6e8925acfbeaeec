package io.tfgw.converters.convert;

/**
 * Hears how a checkpoint conversion advances, for a progress bar. {@link #started} is called once per converted
 * checkpoint (several times with {@code --all}; the totals add up), before its first tensor is read, and
 * {@link #tensorDone} after each tensor (all its slices) is written. The bytes are the tensors' in-memory sizes
 * (strings and other variable-size dtypes count 0), the same measure as {@link ConvertResult.Converted#bytes()}, so
 * the bytes of all {@code tensorDone} calls add up to those announced by {@code started}.
 */
public interface ConvertListener {
  /** A listener that ignores everything. */
  ConvertListener NONE = new ConvertListener() {};

  /** A checkpoint of {@code tensors} tensors and {@code bytes} bytes is about to be converted. */
  default void started(int tensors, long bytes) {}

  /** The tensor {@code name} (its name in the destination), of {@code bytes} bytes, has been written. */
  default void tensorDone(String name, long bytes) {}
}
