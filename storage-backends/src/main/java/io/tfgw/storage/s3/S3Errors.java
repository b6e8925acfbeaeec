package io.tfgw.storage.s3;

import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.StorageException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns SDK exceptions into messages that say what failed, where, and what to do. */
final class S3Errors {
  private S3Errors() {}

  static boolean isNotFound(SdkException e) {
    return e instanceof S3Exception s && s.statusCode() == 404;
  }

  static StorageException of(String action, Location location, SdkException e) {
    if (e instanceof S3Exception s) {
      String code = s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode() : null;
      int status = s.statusCode();
      if ("NoSuchBucket".equals(code)) {
        return new LocationNotFoundException(location, "No such bucket '" + location.authority() + "' (" + location
            + "): check the bucket name" + (location.authority().contains(".") ? "" : " and the endpoint"));
      }
      if (status == 404) {
        return new LocationNotFoundException(location, "No such file: " + location);
      }
      if (status == 403) {
        return new StorageException("Access denied: cannot " + action + " " + location + " (" + (code != null ? code : "403")
            + "). Check the credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and the bucket's permissions.", e);
      }
      if (status == 301 || "PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code)) {
        return new StorageException("Cannot " + action + " " + location + ": the bucket is in another region; set "
            + "AWS_REGION to the bucket's region", e);
      }
      if (status == 412) {
        return new StorageException("Cannot " + action + " " + location + ": the object changed while it was being read; "
            + "run the command again", e);
      }
      return new StorageException("Cannot " + action + " " + location + ": S3 answered HTTP " + status
          + (code != null ? " " + code : "") + (s.awsErrorDetails() != null && s.awsErrorDetails().errorMessage() != null
          ? " (" + s.awsErrorDetails().errorMessage() + ")" : ""), e);
    }
    String msg = String.valueOf(e.getMessage());
    if (e instanceof SdkClientException && msg.contains("credentials")) {
      return new StorageException("Cannot " + action + " " + location + ": no AWS credentials found. Set "
          + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance role is available.", e);
    }
    return new StorageException("Cannot " + action + " " + location + ": " + msg
        + " (check the network, and --endpoint / AWS_ENDPOINT_URL for S3-compatible stores)", e);
  }
}
