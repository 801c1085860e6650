package dev.jamesmtasts.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * {@code mta-sts jmx}: the {@link JmxCommand} (the policy cache of a running James, over JMX RMI) as
 * a subcommand. {@link JmxCommand} parses its own arguments and prints its own usage; its exit codes
 * (0 done, 1 not found / failed, 2 usage, 3 cannot connect) pass through unchanged.
 */
final class JmxSubcommand implements Subcommand {
    @Override
    public String name() {
        return "jmx";
    }

    @Override
    public String usage() {
        return "jmx " + JmxOptions.SYNOPSIS + " COMMAND\n"
                + "  Inspects and drives the policy cache of a running James over JMX RMI (James's jmx.properties port).\n"
                + "  list [--after DOMAIN] [--limit N]   cached policies, one per line (page of N, default 100)\n"
                + "  show DOMAIN | refresh DOMAIN | evict DOMAIN | refresh-round | counters\n"
                + "  status                              the policy store's status and DANE's self-check (health)\n";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        return JmxCommand.run(args.toArray(new String[0]), out, err);
    }
}
