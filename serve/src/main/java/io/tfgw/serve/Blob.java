package io.tfgw.serve;

import java.io.IOException;
import java.io.OutputStream;

/** Bytes the server can send whole or in ranges: a stored file, a virtual file, a cached conversion. */
interface Blob {
  long length();

  /** The HTTP entity tag, quoted ({@code "..."}, or {@code W/"..."} when it is not derived from the content). */
  String etag();

  String contentType();

  /**
   * Writes {@code [position, position + length)} to {@code out}. It may fail mid-way (a checksum that does not
   * match); the response is then cut short, so a client never takes a complete-looking body with bad bytes.
   */
  void copy(long position, long length, OutputStream out) throws IOException;

  static String contentTypeOf(String fileName) {
    String n = fileName.toLowerCase(java.util.Locale.ROOT);
    if (n.endsWith(".json")) {
      return "application/json";
    }
    if (n.endsWith(".txt") || n.endsWith(".md") || n.endsWith(".pbtxt") || n.equals("checkpoint")) {
      return "text/plain; charset=utf-8";
    }
    return "application/octet-stream";
  }
}
