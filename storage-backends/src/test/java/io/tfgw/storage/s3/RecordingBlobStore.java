package io.tfgw.storage.s3;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * S3Proxy's blob store, recording every object a client asked for by HEAD or GET ({@code bucket/key}), so that tests
 * can check which keys a command probes.
 */
public final class RecordingBlobStore extends ForwardingBlobStore {
  private final List<String> keysRead = new CopyOnWriteArrayList<>();

  public RecordingBlobStore(BlobStore delegate) {
    super(delegate);
  }

  /** Every {@code bucket/key} asked for so far, in order, once per request (retries included). */
  public List<String> keysRead() {
    return List.copyOf(keysRead);
  }

  public void clear() {
    keysRead.clear();
  }

  @Override
  public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
    keysRead.add(request.bucket() + "/" + request.key());
    return super.blobMetadata(request);
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    keysRead.add(request.bucket() + "/" + request.key());
    return super.getBlob(request);
  }
}
