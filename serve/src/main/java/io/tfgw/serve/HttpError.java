package io.tfgw.serve;

/**
 * A request that ends with an HTTP error status. The message goes to the client as is, so it must never carry a
 * credential or a path outside ROOT; {@code code} is Hugging Face's {@code X-Error-Code} (its clients read it).
 */
final class HttpError extends RuntimeException {
  final int status;
  final String code;

  HttpError(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static HttpError notFound(String what) {
    return new HttpError(404, "EntryNotFound", what);
  }

  static HttpError badRequest(String what) {
    return new HttpError(400, "BadRequest", what);
  }
}
