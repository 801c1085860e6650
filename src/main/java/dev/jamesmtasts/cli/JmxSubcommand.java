package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.List;

/** {@code mta-sts jmx ...}: {@link JmxCommand} registered as a subcommand of the tool. */
final class JmxSubcommand implements Subcommand {
    @Override
    public String name() {
        return "jmx";
    }

    @Override
    public String usage() {
        return "jmx --jmx HOST:PORT [--user U --password P] COMMAND\n"
                + "  Inspects the policy cache of a running James through its MTA-STS MBean (JMX RMI).\n"
                + "  COMMAND: list [--after DOMAIN] [--limit N] | show DOMAIN | refresh DOMAIN | evict DOMAIN\n"
                + "           | refresh-round | counters\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        // JmxCommand parses and reports its own usage errors (exit 2) and connection failures (exit 3).
        return JmxCommand.run(args.toArray(new String[0]), out, err);
    }
}
