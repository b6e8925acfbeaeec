package io.tfgw.converters.serving;

/**
 * Something {@code tfgw sync} did or found, for its JSON log: {@code published}, {@code removed}, {@code failed}
 * (a version that could not be brought over; it is tried again), {@code retention_waiting} (old versions kept until
 * the server reports the new ones AVAILABLE), {@code cleaned} (staging left by a killed run removed).
 */
public record SyncEvent(String type, long version, String detail) {}
