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

  /** 404 for the key itself, not for its bucket: there is no such object. */
  static boolean isNoSuchKey(SdkException e) {
    return isNotFound(e) && !(e.getMessage() != null && e.getMessage().contains("NoSuchBucket"));
  }

  /**
   * Whether the store's answer may mean that the key is a path through an object: stores that keep objects as
   * files cannot look up {@code a/b} when {@code a} is a file, and answer with an error instead of 404 (S3Proxy's
   * filesystem store: 500 with no error code; others 400 or 409). Only an object above the key tells for sure.
   */
  static boolean mayBeBelowAnObject(SdkException e) {
    return e instanceof S3Exception s && (s.statusCode() == 500 || s.statusCode() == 400 || s.statusCode() == 409);
  }

  /** The message for {@code e}, raised while trying to {@code action} (read, write, list, delete) {@code location}. */
  static StorageException of(String action, Location location, SdkException e, S3Settings settings) {
    return of(action, location, e, settings, 0);
  }

  /** The same, for a request that was already sent {@code earlierAttempts} times before the one that failed. */
  static StorageException of(String action, Location location, SdkException e, S3Settings settings,
      int earlierAttempts) {
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
      if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
        return new StorageException("Access denied: cannot " + action + " " + location + " (" + code + "): the store "
            + ("InvalidAccessKeyId".equals(code) ? "does not know the access key" : "rejects the secret key given with the access key")
            + ". Check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE).", e);
      }
      if (status == 403) {
        return new StorageException("Access denied: cannot " + action + " " + location + " (" + (code != null ? code : "HTTP 403")
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
    String endpoint = settings.endpoint().map(Object::toString).orElse(null);
    String unreachable = unreachable(e);
    if (unreachable != null) {
      return new StorageException("Cannot " + action + " " + location + ": " + (endpoint != null
          ? "the S3 endpoint " + endpoint : "S3") + " " + unreachable + attempts(msg, earlierAttempts) + ". "
          + (endpoint != null
          ? "Check --endpoint (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and that the server is running."
          : "Check the network, or set --endpoint for an S3-compatible store."), e);
    }
    return new StorageException("Cannot " + action + " " + location + ": " + msg
        + " (check the network, and --endpoint / AWS_ENDPOINT_URL for S3-compatible stores)", e);
  }

  /** What went wrong reaching the server (refused, unknown host, timed out), or null for other failures. */
  static String unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return "refuses connections";
      }
      if (t instanceof java.net.UnknownHostException) {
        return "has a host name that does not resolve (" + t.getMessage() + ")";
      }
      if (t instanceof java.net.SocketTimeoutException) {
        return "does not answer (timed out)";
      }
      if (t instanceof java.net.NoRouteToHostException) {
        return "cannot be reached (no route to host)";
      }
    }
    return null;
  }

  /** " (tried N times)" from the SDK's "(SDK Attempt Count: N)" and the earlier attempts, or nothing. */
  private static String attempts(String msg, int earlierAttempts) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("SDK Attempt Count: (\\d+)").matcher(msg);
    int tried = (m.find() ? Integer.parseInt(m.group(1)) : 1) + earlierAttempts;
    return tried > 1 ? " (tried " + tried + " times)" : "";
  }
}
