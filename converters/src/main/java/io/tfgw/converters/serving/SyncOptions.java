package io.tfgw.converters.serving;

import io.tfgw.core.WrongInputException;
import io.tfgw.core.storage.Location;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code tfgw sync SRC DST} does: SRC a model base (numeric version directories, as {@code push} writes them),
 * DST a local directory a model server watches.
 *
 * @param keep how many of the newest versions to keep in DST (pinned ones come on top)
 * @param to convert each version on the way: empty (copy as is), {@code savedmodel} or {@code onnx}
 * @param verify with {@code to = savedmodel}: run source and result on generated inputs, publish only if identical
 * @param inputs, outputs with {@code to}: the serving signature of a version that has none (a checkpoint's graph),
 *     as {@code convert --inputs/--outputs}
 * @param serverStatus TF Serving's model status URL ({@code http://host:8501/v1/models/NAME}); old versions are
 *     removed only once it reports the kept ones AVAILABLE
 */
public record SyncOptions(Location source, Path destination, Layout layout, String modelName, int keep, Set<Long> pinned,
    Optional<String> to, boolean verify, List<String> inputs, List<String> outputs, Optional<URI> serverStatus,
    int parallelism) {
  public SyncOptions {
    pinned = Set.copyOf(pinned);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    if (keep < 1) {
      throw new WrongInputException("--keep must be at least 1 (got " + keep + "): a model server needs a version");
    }
    if (to.isPresent() && !to.get().equals("savedmodel") && !to.get().equals("onnx")) {
      throw new WrongInputException("--to must be savedmodel or onnx (got '" + to.get() + "')");
    }
  }

  public static SyncOptions of(Location source, Path destination) {
    return new SyncOptions(source, destination, Layout.TFSERVING, source.fileName(), 2, Set.of(), Optional.empty(),
        false, List.of(), List.of(), Optional.empty(), 4);
  }

  public SyncOptions withLayout(Layout l) {
    return new SyncOptions(source, destination, l, modelName, keep, pinned, to, verify, inputs, outputs, serverStatus, parallelism);
  }

  public SyncOptions withKeep(int k, Set<Long> p) {
    return new SyncOptions(source, destination, layout, modelName, k, p, to, verify, inputs, outputs, serverStatus, parallelism);
  }

  public SyncOptions withConversion(Optional<String> t, boolean v) {
    return new SyncOptions(source, destination, layout, modelName, keep, pinned, t, v, inputs, outputs, serverStatus, parallelism);
  }

  public SyncOptions withSignature(List<String> in, List<String> out) {
    return new SyncOptions(source, destination, layout, modelName, keep, pinned, to, verify, in, out, serverStatus,
        parallelism);
  }

  public SyncOptions withServerStatus(Optional<URI> s) {
    return new SyncOptions(source, destination, layout, modelName, keep, pinned, to, verify, inputs, outputs, s, parallelism);
  }

  public SyncOptions withModelName(String m) {
    return new SyncOptions(source, destination, layout, m, keep, pinned, to, verify, inputs, outputs, serverStatus, parallelism);
  }
}
