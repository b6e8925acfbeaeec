package io.tfgw.runtime;

/** The value of a {@code resource} tensor element: names a variable in the session's variable store. */
public record ResourceHandle(String key) {
  @Override
  public String toString() {
    return "resource(" + key + ")";
  }
}
