package io.tfgw.core.storage;

/** A file found by {@link Storage#list}: where it is and how many bytes it holds. */
public record FileEntry(Location location, long length) {}
