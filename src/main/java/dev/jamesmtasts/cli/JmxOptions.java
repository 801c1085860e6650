package dev.jamesmtasts.cli;

import java.io.PrintStream;

/**
 * The options that name a running James's JMX agent, read the same way by every command that goes
 * through the MTA-STS MBean ({@code jmx}, {@code tlsrpt}, {@code check --jmx}):
 * {@code --jmx HOST:PORT} (James's {@code jmx.properties} port) and, for a connector with
 * authentication, {@code --user U --password P} (James 3.8.1 writes them to
 * {@code conf/jmxremote.password}). The connection itself is {@link JmxCommand#connected}.
 */
final class JmxOptions {
    /** {@value}: the synopsis of these options, for usage texts. */
    static final String SYNOPSIS = "--jmx HOST:PORT [--user U --password P]";

    private String target;
    private String user;
    private String password;

    /** Takes the current argument when it is one of these options (reading its value); false otherwise. */
    boolean accept(ArgCursor a) throws UsageException {
        switch (a.current()) {
            case "--jmx":
                target = a.value();
                return true;
            case "--user":
                user = a.value();
                return true;
            case "--password":
                password = a.value();
                return true;
            default:
                return false;
        }
    }

    /** {@code HOST:PORT}, or null when {@code --jmx} was not given. */
    String target() {
        return target;
    }

    /** Whether {@code --user} or {@code --password} was given. */
    boolean credentials() {
        return user != null || password != null;
    }

    /** Fails unless {@code --jmx} was given. */
    JmxOptions required() throws UsageException {
        if (target == null) {
            throw new UsageException("--jmx HOST:PORT is required");
        }
        return this;
    }

    /** Fails when {@code --user}/{@code --password} came without {@code --jmx}. */
    void credentialsOnlyWithTarget() throws UsageException {
        if (target == null && credentials()) {
            throw new UsageException("--user and --password go with --jmx");
        }
    }

    /** Connects to the agent and runs {@code call} ({@link JmxCommand#connected}: its exit statuses). */
    int connect(String prefix, String command, PrintStream err, JmxCommand.MBeanCall call) {
        return JmxCommand.connected(prefix, target, user, password, command, err, call);
    }
}
