package io.tfgw;

import io.tfgw.converters.Checkpoints;
import io.tfgw.converters.convert.CheckpointConverter;
import io.tfgw.converters.convert.ConvertListener;
import io.tfgw.converters.convert.ConvertOptions;
import io.tfgw.converters.convert.ConvertResult;
import io.tfgw.converters.convert.ModelConverter;
import io.tfgw.converters.inspect.InspectOptions;
import io.tfgw.converters.inspect.InspectReport;
import io.tfgw.converters.inspect.Inspector;
import io.tfgw.converters.model.Model;
import io.tfgw.converters.verify.VerifiableModels;
import io.tfgw.converters.verify.Verifier;
import io.tfgw.core.checkpoint.CheckpointReader;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageOptions;
import io.tfgw.core.storage.StorageRouter;
import java.util.List;

/**
 * tfgw as a library: the command line's operations in a few calls. Locations are what the command line takes
 * (local paths, {@code s3://bucket/key}, {@code archive.tar.gz!/inner}); storage backends are found on the class
 * path ({@code tfgw-storage-backends}).
 *
 * <pre>{@code
 * try (Tfgw tfgw = Tfgw.create();
 *     CheckpointReader ckpt = tfgw.open("train/model.ckpt-2000")) {
 *   for (TensorInfo t : ckpt.tensors()) {
 *     System.out.println(t.name() + " " + t.dtype() + t.shape());
 *   }
 * }
 * }</pre>
 *
 * <p>Outputs are written atomically; outputs inside archives appear when {@link #commit()} is called (as the
 * command line does at its end). Errors are {@link io.tfgw.core.TfgwException}s with user-facing messages.
 */
public final class Tfgw implements AutoCloseable {
  private final StorageRouter storage;

  private Tfgw(StorageRouter storage) {
    this.storage = storage;
  }

  /** A facade with the default storage settings (AWS default chains and environment for S3). */
  public static Tfgw create() {
    return new Tfgw(StorageRouter.create());
  }

  /** A facade with storage settings, e.g. {@code s3.endpoint} and {@code s3.path-style} for an S3-compatible store. */
  public static Tfgw create(StorageOptions options) {
    return new Tfgw(StorageRouter.create(options));
  }

  /** The storage all operations go through, for reading and writing files directly. */
  public StorageRouter storage() {
    return storage;
  }

  /** The variables of any checkpoint-bearing location: V1, V2, SavedModel, .meta, HDF5, safetensors. */
  public CheckpointReader open(String location) {
    return Checkpoints.open(storage, Location.parse(location));
  }

  /** Describes a checkpoint or model (format, variables, signatures), as {@code tfgw inspect [--hash]} reports it. */
  public InspectReport inspect(String location, boolean hash) {
    return new Inspector(storage).inspect(Location.parse(location), InspectOptions.defaults().withHash(hash));
  }

  /**
   * Converts a checkpoint to V1 or V2, as {@code tfgw convert SRC DST --to v1|v2} does; the options hold renames,
   * filters, partitions and more ({@link ConvertOptions#to(String)} for the defaults).
   */
  public ConvertResult convert(String source, String destination, ConvertOptions options) {
    return new CheckpointConverter(storage).convert(Location.parse(source), Location.parse(destination), options);
  }

  /**
   * As {@link #convert(String, String, ConvertOptions)}, telling {@code listener} about every tensor written (for a
   * progress bar).
   */
  public ConvertResult convert(String source, String destination, ConvertOptions options, ConvertListener listener) {
    return new CheckpointConverter(storage).convert(Location.parse(source), Location.parse(destination), options,
        listener);
  }

  /**
   * Writes a SavedModel for TF Serving, as {@code tfgw convert SRC DST --to savedmodel --outputs ...} does (from a
   * checkpoint + .meta, a frozen graph, a SavedModel or a Keras .h5).
   */
  public ModelConverter.Result toSavedModel(String source, String destination, List<String> outputs) {
    return new ModelConverter(storage).toSavedModel(Location.parse(source), Location.parse(destination), List.of(),
        outputs, null, null, false, 0);
  }

  /** Freezes a model into one GraphDef file, as {@code tfgw convert SRC DST --to frozen --outputs ...} does. */
  public ModelConverter.Result toFrozen(String source, String destination, List<String> outputs) {
    return new ModelConverter(storage).toFrozen(Location.parse(source), Location.parse(destination), outputs, null,
        null);
  }

  /** A model ready to run in tfgw's runtime ({@link Model#run}). Close it when done. */
  public Model model(String location) {
    return VerifiableModels.load(storage, Location.parse(location), null);
  }

  /**
   * Runs two models on the same generated inputs and compares their outputs bit for bit (within {@code ulp:64} of
   * each output's largest magnitude when either is an ONNX file), as {@code tfgw verify A B --samples N --seed S}
   * does on A's serving signature.
   */
  public Verifier.Report verify(String a, String b, int samples, long seed) {
    return verify(a, b, samples, seed, List.of());
  }

  /** As {@link #verify(String, String, int, long)} on the named outputs, for models without signatures (.meta, frozen). */
  public Verifier.Report verify(String a, String b, int samples, long seed, List<String> outputs) {
    try (Model ma = model(a); Model mb = model(b)) {
      return Verifier.verify(ma, mb, null, Verifier.samples(Verifier.interfaceOf(ma, mb, null), samples, seed),
          outputs, Verifier.defaultTolerance(ma, mb));
    }
  }

  /** Publishes outputs written into archives. */
  public void commit() {
    storage.commit();
  }

  /** Closes the storage backends (S3 clients, open archives); outputs not yet committed are discarded. */
  @Override
  public void close() {
    storage.close();
  }
}
