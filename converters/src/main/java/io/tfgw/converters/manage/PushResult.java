package io.tfgw.converters.manage;

import io.tfgw.core.storage.Location;

/** Where {@code push} put the model: {@code BASE/VERSION}, and what it copied. */
public record PushResult(Location versionDirectory, long version, CopyResult copy) {}
