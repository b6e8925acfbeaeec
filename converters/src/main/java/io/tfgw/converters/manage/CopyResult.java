package io.tfgw.converters.manage;

/**
 * What a copy did. Every file was verified: {@code verifiedByStore} against the checksum the destination store
 * computed on arrival, the others by reading the destination back.
 */
public record CopyResult(int files, long bytes, int verifiedByStore, int verifiedByReading) {}
