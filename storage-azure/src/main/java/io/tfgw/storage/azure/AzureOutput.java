package io.tfgw.storage.azure;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.StorageException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * One block blob being written. Bytes collect in a buffer of one block; a file that fits is one Put Blob at
 * {@link #commit()}. A larger one stages each full block (at most {@code uploadParallelism} in flight, each with a
 * Content-MD5 that Azure checks), and the blob appears only when Put Block List commits them at {@link #commit()};
 * before that, and after an abort or a crash, readers see the old blob or none. Both publishing requests carry the
 * write's id in the blob's metadata ({@link AzureStorage#WRITE_ID}), so a commit whose answer got lost and whose
 * retry then fails its precondition is recognised as this write's own success.
 */
final class AzureOutput extends AtomicOutputStream {
  private final AzureStorage storage;
  private final Location location;
  private final BlockBlobClient blob;
  private final int blockSize;
  private final Semaphore inFlight;
  private final String writeId = UUID.randomUUID().toString().replace("-", "");
  private final List<String> blockIds = new ArrayList<>();
  private final List<Future<?>> staged = new ArrayList<>();
  /** Null: an unconditional write; else the ETag the blob must still have (empty: it must not exist). */
  private final Optional<String> expected;
  private byte[] buffer = new byte[64 << 10];
  private int filled;
  private long position;
  private volatile Throwable failure;

  AzureOutput(AzureStorage storage, Location location, Optional<String> expected) {
    this.storage = storage;
    this.location = location;
    this.blob = storage.blob(location, "write").getBlockBlobClient();
    this.blockSize = storage.settings().blockSize();
    this.inFlight = new Semaphore(storage.settings().uploadParallelism());
    this.expected = expected;
  }

  @Override
  public Location location() {
    return location;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    checkFailure();
    while (len > 0) {
      if (filled == blockSize) {
        stageBlock();
      }
      if (filled == buffer.length) {
        buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(blockSize, buffer.length * 2L));
      }
      int n = Math.min(len, buffer.length - filled);
      System.arraycopy(b, off, buffer, filled, n);
      filled += n;
      off += n;
      len -= n;
      position += n;
    }
  }

  private void checkFailure() {
    if (failure != null) {
      throw new StorageException("Cannot write " + location + ": staging a block failed: " + failure.getMessage(), failure);
    }
  }

  private void stageBlock() {
    byte[] data = buffer;
    int length = filled;
    // ids of one blob must all have the same length; the write id keeps concurrent writers' blocks apart
    String id = Base64.getEncoder().encodeToString(String.format("%s-%08d", writeId, blockIds.size())
        .getBytes(StandardCharsets.US_ASCII));
    blockIds.add(id);
    buffer = new byte[blockSize];
    filled = 0;
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while writing " + location);
    }
    checkFailure();
    staged.add(storage.uploads().submit(() -> {
      try {
        blob.stageBlockWithResponse(id, new ByteArrayInputStream(data, 0, length), length, md5(data, length), null,
            null, Context.NONE);
      } catch (Throwable t) {
        failure = t;
        throw t;
      } finally {
        inFlight.release();
      }
      return null;
    }));
  }

  private BlobRequestConditions conditions() {
    BlobRequestConditions c = new BlobRequestConditions();
    if (expected != null) {
      if (expected.isPresent()) {
        c.setIfMatch(expected.get());
      } else {
        c.setIfNoneMatch("*");
      }
    }
    return c;
  }

  @Override
  protected void doCommit() {
    try {
      checkFailure();
      Map<String, String> metadata = Map.of(AzureStorage.WRITE_ID, writeId);
      if (blockIds.isEmpty()) {
        byte[] data = java.util.Arrays.copyOf(buffer, filled);
        publish(() -> blob.uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(data))
            .setContentMd5(md5(data, data.length)).setMetadata(metadata).setRequestConditions(conditions()), null, Context.NONE));
        return;
      }
      if (filled > 0) {
        stageBlock();
      }
      for (Future<?> f : staged) {
        f.get();
      }
      publish(() -> blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(blockIds)
          .setMetadata(metadata).setRequestConditions(conditions()), null, Context.NONE));
    } catch (ExecutionException e) {
      cancelStaging();
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? AzureErrors.of("write", location, r, storage.settings())
          : new StorageException("Cannot write " + location + ": " + cause, cause);
    } catch (InterruptedException e) {
      cancelStaging();
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while writing " + location);
    } catch (StorageException e) {
      cancelStaging();
      throw e;
    } catch (RuntimeException e) {
      cancelStaging();
      throw AzureErrors.of("write", location, e, storage.settings());
    } finally {
      buffer = null;
    }
  }

  /**
   * Sends the request that makes the blob visible; a failed precondition means another writer won, unless the blob
   * there is this write's own (a retried request whose first try had succeeded).
   */
  private void publish(Runnable request) {
    try {
      request.run();
    } catch (RuntimeException e) {
      if (expected != null && AzureErrors.isConditionFailed(e)) {
        if (isOurs()) {
          return;
        }
        throw new io.tfgw.core.storage.ConcurrentWriteException(location);
      }
      throw e;
    }
  }

  private boolean isOurs() {
    try {
      BlobProperties p = blob.getProperties();
      return p.getMetadata() != null && writeId.equals(p.getMetadata().get(AzureStorage.WRITE_ID));
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  protected void doAbort() {
    buffer = null;
    cancelStaging(); // staged blocks stay uncommitted: invisible, and discarded by Azure
  }

  private void cancelStaging() {
    for (Future<?> f : staged) {
      f.cancel(false);
    }
    for (Future<?> f : staged) {
      try {
        f.get();
      } catch (ExecutionException | CancellationException e) {
        // that block failed or never went out
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
  }

  private static byte[] md5(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(data, 0, length);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
