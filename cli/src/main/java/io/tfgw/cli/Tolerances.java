package io.tfgw.cli;

import io.tfgw.converters.verify.Tolerance;
import io.tfgw.core.WrongInputException;
import picocli.CommandLine;

/** The {@code --tolerance} option of {@code verify} and {@code convert --verify}: a malformed one is a usage error. */
final class Tolerances {
  private Tolerances() {}

  /** The tolerance given, or null when none was (the command then picks its default). */
  static Tolerance parse(String option, CommandLine cmd) {
    if (option == null) {
      return null;
    }
    try {
      return Tolerance.parse(option);
    } catch (WrongInputException e) {
      throw new CommandLine.ParameterException(cmd, e.getMessage());
    }
  }
}
