package io.tfgw.storage.s3;

import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/** S3Proxy's blob store with injected throttling errors (503 SlowDown) and call counts. */
final class FaultyBlobStore extends ForwardingBlobStore {
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();

  FaultyBlobStore(BlobStore delegate) {
    super(delegate);
  }

  void failNext(String operation, int times) {
    failuresLeft.put(operation, new AtomicInteger(times));
  }

  int calls(String operation) {
    return calls.computeIfAbsent(operation, k -> new AtomicInteger()).get();
  }

  private void enter(String operation) {
    calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
    AtomicInteger left = failuresLeft.get(operation);
    if (left != null && left.getAndDecrement() > 0) {
      throw software.amazon.awssdk.services.s3.model.S3Exception.builder().statusCode(503)
          .awsErrorDetails(software.amazon.awssdk.awscore.exception.AwsErrorDetails.builder()
              .errorCode("SlowDown").errorMessage("injected failure of " + operation).build())
          .message("injected failure of " + operation).build();
    }
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    enter("get");
    return super.getBlob(request);
  }

  @Override
  public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
    enter("head");
    return super.blobMetadata(request);
  }

  @Override
  public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream in) {
    enter("part");
    return super.uploadMultipartPart(upload, request, in);
  }
}
