package io.tfgw.converters.serving;

/** Hears what a sync does as it happens (for JSON logs). */
public interface SyncListener {
  SyncListener NONE = e -> {};

  void event(SyncEvent event);
}
