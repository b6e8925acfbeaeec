package io.tfgw.converters.serving;

import io.tfgw.core.TfgwException;

/** A version converted on the way computes something else than what was pushed; it is not published. */
public final class VersionNotVerifiedException extends TfgwException {
  public VersionNotVerifiedException(String message) {
    super(message);
  }
}
