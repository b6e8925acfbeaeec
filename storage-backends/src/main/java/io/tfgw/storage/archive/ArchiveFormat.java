package io.tfgw.storage.archive;

import io.tfgw.core.UnsupportedInputException;
import io.tfgw.core.storage.Location;
import java.util.Locale;

/** The archive kinds tfgw reads and writes. Reading goes by content, writing by the container's name. */
enum ArchiveFormat {
  ZIP, TAR, TAR_GZ;

  /** The format of existing bytes (the first 512 of the archive), or null when none matches. */
  static ArchiveFormat detect(byte[] head) {
    if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6)) {
      return ZIP;
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return TAR_GZ;
    }
    if (head.length >= 262 && head[257] == 'u' && head[258] == 's' && head[259] == 't' && head[260] == 'a' && head[261] == 'r') {
      return TAR;
    }
    if (head.length == 512 && (allZero(head) || validTarChecksum(head))) {
      return TAR; // an empty tar (only end blocks), or an old v7 tar without the ustar magic
    }
    return null;
  }

  private static boolean validTarChecksum(byte[] header) {
    try {
      return org.apache.commons.compress.archivers.tar.TarUtils.verifyCheckSum(header);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** The format a new archive gets from its name. */
  static ArchiveFormat forName(Location container) {
    String name = container.fileName().toLowerCase(Locale.ROOT);
    if (name.endsWith(".zip")) {
      return ZIP;
    }
    if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
      return TAR_GZ;
    }
    if (name.endsWith(".tar")) {
      return TAR;
    }
    throw new UnsupportedInputException("Cannot write an archive named " + container.fileName() + ": name it *.zip, "
        + "*.tar, *.tar.gz or *.tgz");
  }
}
