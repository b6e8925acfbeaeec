package io.tfgw.converters.manage;

/** Hears how a copy advances (for a progress bar). Called from several threads. */
public interface CopyListener {
  CopyListener NONE = new CopyListener() {};

  default void started(int files, long totalBytes) {}

  default void transferred(long bytes) {}

  default void finished(Transfer transfer) {}
}
