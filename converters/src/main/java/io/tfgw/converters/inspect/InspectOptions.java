package io.tfgw.converters.inspect;

/**
 * What {@link Inspector} computes beyond names, dtypes and shapes.
 *
 * @param hash compute the canonical sha256 of every variable (reads, and crc-checks, every byte)
 * @param tensor if not null, also summarize this one tensor's values
 * @param threads tensors hashed in parallel
 */
public record InspectOptions(boolean hash, String tensor, int threads) {
  public static InspectOptions defaults() {
    return new InspectOptions(false, null, defaultThreads());
  }

  public static int defaultThreads() {
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  public InspectOptions withHash(boolean h) {
    return new InspectOptions(h, tensor, threads);
  }

  public InspectOptions withTensor(String t) {
    return new InspectOptions(hash, t, threads);
  }
}
