package dev.jamesmtasts.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.testing.HostileDomain;

/**
 * {@code mta-sts tlsrpt}'s own checks, before any JMX connection: usage errors (exit 2, the usage on
 * stderr), a bad day naming the accepted forms, hostile arguments escaped, an unreachable agent (exit 3).
 * The operations against a real James are in {@code james.TlsRptAdminTest}.
 */
class MtaStsCliTlsRptTest {
    private static final String TARGET = "127.0.0.1:1";

    @Test
    void usageErrorsExitTwoWithTheUsage() {
        String[][] bad = {
            {"tlsrpt", "list"},
            {"tlsrpt", "--jmx", TARGET},
            {"tlsrpt", "--jmx", TARGET, "purge"},
            {"tlsrpt", "--jmx", TARGET, "list", "a.example"},
            {"tlsrpt", "--jmx", TARGET, "show"},
            {"tlsrpt", "--jmx", TARGET, "show", "a.example", "--force"},
            {"tlsrpt", "--jmx", TARGET, "send-now", "a.example", "b.example"},
            {"tlsrpt", "--jmx", TARGET, "list", "--since", "today"},
            {"tlsrpt", "--jmx", TARGET, "list", "--day"},
            {"tlsrpt", "--jmx", TARGET, "show", "not a domain"},
        };
        for (String[] args : bad) {
            CliRun r = CliRun.run(args);
            assertThat(r.status).as(String.join(" ", args)).isEqualTo(MtaStsCli.EXIT_USAGE);
            assertThat(r.err).as(String.join(" ", args)).startsWith("mta-sts tlsrpt: ").contains("usage: tlsrpt --jmx HOST:PORT");
        }
    }

    @Test
    void aBadDayNamesTheParameterAndTheAcceptedForms() {
        for (String day : new String[] {"tomorrow", "2026-02-30", "01/02/2026"}) {
            CliRun r = CliRun.run("tlsrpt", "--jmx", TARGET, "list", "--day", day);
            assertThat(r.status).isEqualTo(MtaStsCli.EXIT_USAGE);
            assertThat(r.err).contains("day must be YYYY-MM-DD, today or yesterday (UTC), got '" + day + "'");
        }
    }

    @Test
    void hostileArgumentsAreEscapedInErrors() {
        String hostile = "\u001b[2J\u202E\u009b2J" + HostileDomain.MARKER;
        for (String[] args : new String[][] {
            {"tlsrpt", "--jmx", TARGET, "list", "--day", hostile},
            {"tlsrpt", "--jmx", TARGET, hostile},
            {"tlsrpt", "--jmx", TARGET, "show", hostile + ".example"},
        }) {
            CliRun r = CliRun.run(args);
            assertThat(r.status).isEqualTo(MtaStsCli.EXIT_USAGE);
            assertThat(r.err).contains(HostileDomain.MARKER);
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(r.err)).as(r.err).isEqualTo(-1);
        }
    }

    @Test
    void anAgentThatDoesNotAnswerExitsThree() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        CliRun r = CliRun.run("tlsrpt", "--jmx", "127.0.0.1:" + port, "list", "--day", "today");
        assertThat(r.status).isEqualTo(MtaStsCli.EXIT_UNREACHABLE);
        assertThat(r.err).startsWith("tlsrpt: cannot connect to 127.0.0.1:" + port);
    }

    @Test
    void theToolsUsageListsTlsrpt() {
        CliRun r = CliRun.run("--help");
        assertThat(r.out).contains("tlsrpt --jmx HOST:PORT").contains("send-now [DOMAIN]").contains("--day D");
    }
}
