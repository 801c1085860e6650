package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code mta-sts} command-line tool (started by {@code bin/mta-sts}): {@code mta-sts SUBCOMMAND
 * [ARGS]...}. Exit status 0 when the subcommand did its work, 1 when it failed or found nothing, 2
 * on usage errors (with the usage on stderr), 3 when Cassandra (or a JMX agent) cannot be reached.
 */
public final class MtaStsCli {
    /** Exit status for bad arguments. */
    public static final int EXIT_USAGE = 2;
    /** Exit status when the thing asked about does not exist (e.g. {@code cache show} of an absent domain). */
    public static final int EXIT_NOT_FOUND = 1;
    /** Exit status when Cassandra (or the JMX agent) cannot be reached. */
    public static final int EXIT_UNREACHABLE = 3;

    private MtaStsCli() {
    }

    /** The known subcommands, in the order the usage lists them. Add new ones here. */
    static List<Subcommand> commands() {
        return List.of(new LookupCommand(), new CheckCommand(), new CacheCommand(), new JmxSubcommand(), new TlsRptCommand());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool in-process (for tests): parses {@code args}, writes to the streams, returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            PrintStream to = args.length == 0 ? err : out;
            to.print(usage());
            return args.length == 0 ? EXIT_USAGE : 0;
        }
        for (Subcommand c : commands()) {
            if (c.name().equals(args[0])) {
                try {
                    return c.run(Arrays.asList(args).subList(1, args.length), out, err);
                } catch (UsageException e) {
                    err.println("mta-sts " + c.name() + ": " + e.getMessage());
                    err.print("usage: " + c.usage());
                    return EXIT_USAGE;
                }
            }
        }
        err.println("mta-sts: unknown subcommand '" + args[0] + "'");
        err.print(usage());
        return EXIT_USAGE;
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: mta-sts SUBCOMMAND [ARGS]...\n\nsubcommands:\n");
        for (Subcommand c : commands()) {
            sb.append("  ").append(c.usage().replace("\n", "\n  ").stripTrailing()).append("\n\n");
        }
        return sb.toString();
    }
}
