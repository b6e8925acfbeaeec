package io.tfgw.converters.manage;

import io.tfgw.core.storage.Location;

/** One file to copy: from where, to where, and how many bytes it had when planned. */
public record Transfer(Location source, Location destination, long length) {}
