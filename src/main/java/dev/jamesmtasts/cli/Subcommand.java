package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * One subcommand of {@code mta-sts} ({@code lookup}, {@code cache}, {@code jmx}).
 * Implementations are registered in {@link MtaStsCli#commands()}.
 */
public interface Subcommand {
    /** The word that selects this subcommand, e.g. {@code lookup}. */
    String name();

    /** The usage text: a synopsis line, then one line per option. */
    String usage();

    /**
     * Runs the subcommand with the arguments after its name.
     *
     * @return the exit status: 0 when the work was done (whatever its findings), 1 for a failure
     * @throws UsageException for bad arguments; the caller prints the message and the usage, exit 2
     */
    int run(List<String> args, PrintStream out, PrintStream err) throws UsageException;
}
