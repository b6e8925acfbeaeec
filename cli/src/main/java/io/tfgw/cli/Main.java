package io.tfgw.cli;

import io.tfgw.core.TfgwException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tfgw} command. Thin by design: parse arguments, call the library, print. */
@Command(
    name = "tfgw",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Convert TensorFlow-era model files between formats and storages, without TensorFlow.",
    subcommands = {InspectCommand.class, ConvertCommand.class, RunCommand.class, VerifyCommand.class, CpCommand.class, LsCommand.class,
        PushCommand.class, PruneCommand.class, SyncCommand.class, ServeCommand.class, CommandLine.HelpCommand.class,
        picocli.AutoComplete.GenerateCompletion.class},
    footer = {"", "Try `./tfgw demo`: the main jobs on real model files shipped with tfgw.",
        "Exit codes: 0 success, 1 error, 2 usage error, 3 verify found a difference.",
        "Locations: local paths, s3://bucket/key, archive.tar.gz!/inner/path."})
public final class Main implements Runnable {
  public static final int EXIT_ERROR = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_DIFFERENCE = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs a command line with the given streams; returns the exit code. Used by tests as well as by main. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(Main::reportUsageError);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      boolean debug = commandLine.getParseResult() != null && commandLine.getParseResult().hasMatchedOption("--debug");
      return reportError(ex, debug, commandLine.getErr());
    });
    return cl.execute(args);
  }

  /**
   * A usage mistake: one {@code error: ...} line (with picocli's suggestions for a mistyped option or command) and
   * where to find help; the whole usage text only when no command was given at all.
   */
  private static int reportUsageError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("error: " + ex.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    if (cmd.getParent() == null) {
      err.println();
      cmd.usage(err);
    } else {
      err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for its options and examples.");
    }
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  static int reportError(Throwable ex, boolean debug, PrintWriter err) {
    if (ex instanceof TfgwException) {
      err.println("error: " + ex.getMessage());
    } else if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
      err.println("error: I/O failure: " + ex.getMessage());
    } else if (ex instanceof OutOfMemoryError) {
      err.println("error: out of memory; this is a bug in tfgw (it should stream), please report it with --debug output");
    } else {
      err.println("error: internal error (" + ex.getClass().getSimpleName() + ": " + ex.getMessage()
          + "); please report it with the --debug output");
    }
    if (debug) {
      ex.printStackTrace(err);
    }
    err.flush();
    return EXIT_ERROR;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"tfgw " + (v == null ? "development build" : v)};
    }
  }
}
