package io.tfgw.core.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The contract's canonical tensor hash: sha256 over the canonical bytes. */
public final class TensorHashes {
  private TensorHashes() {}

  public static String sha256Hex(TensorData data) {
    MessageDigest digest = newSha256();
    byte[] buf = new byte[1 << 16];
    long total = 0;
    try (InputStream in = data.open()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
        total += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long expected = data.canonicalLength();
    if (expected >= 0 && expected != total) {
      throw new IllegalStateException("tensor stream gave " + total + " bytes, expected " + expected);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  public static String sha256Hex(byte[] canonical) {
    return HexFormat.of().formatHex(newSha256().digest(canonical));
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
