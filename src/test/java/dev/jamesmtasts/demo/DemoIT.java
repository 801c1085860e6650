package dev.jamesmtasts.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Runs {@code bin/demo} itself, end to end, exactly as the README tells a newcomer to: a real James
 * 3.8.1 process with the packaged extension, a real Cassandra node and the simulated internet, in a
 * private network namespace. Runs in the integration-test phase (failsafe), after {@code package}
 * made the extension bundle. Skipped (not failed) where user namespaces are unavailable.
 */
class DemoIT {
    private static final Path ROOT = Path.of(System.getProperty("project.basedir", ".")).toAbsolutePath().normalize();

    @Test
    void everyScenarioBehavesAsRfc8461AndRfc8460Require() throws Exception {
        assumeTrue(namespacesAvailable(), "unshare -rn is not available here (no user namespaces): bin/demo cannot run");
        Path work = ROOT.resolve("target/demo-it");
        Path log = ROOT.resolve("target/demo-it.log");
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("bin/demo").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DEMO_WORK", work.toString());
        Process demo = pb.start();
        // A bound on behaviour, not a performance figure: the demo normally ends in one to two minutes.
        boolean ended = demo.waitFor(15, TimeUnit.MINUTES);
        if (!ended) {
            demo.destroyForcibly(); // unshare --kill-child takes the namespace's processes with it
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(ended).as("bin/demo ended within 15 minutes; output:%n%s", out).isTrue();
        assertThat(demo.exitValue()).as("bin/demo exit status; output:%n%s", out).isZero();
        for (String scenario : new String[] {"a) enforce, good MX", "b) impostor MX injected in DNS",
            "c) certificate names another host", "d) STARTTLS stripped", "e) testing mode, MX not in policy",
            "f) no policy published", "g) policy host dark after caching", "h) inspection: JMX + /metrics",
            "i) TLS-RPT: failures reported"}) {
            assertThat(out).as("summary line of %s", scenario).containsPattern("(?m)^" + java.util.regex.Pattern.quote(scenario)
                    + ".*PASS$");
        }
        assertThat(out).contains("9 of 9 scenarios behaved as RFC 8461 and RFC 8460 require");
        // Scenario i's evidence: each report receiver got a report naming the failure it is about.
        assertThat(out).containsPattern("policy-type sts  policy-domain hijack\\.example .*")
                .containsPattern("result-type validation-failure  receiving-mx-hostname mx\\.attacker\\.example")
                .containsPattern("result-type starttls-not-supported  receiving-mx-hostname mx\\.stripped\\.example");
        // Everything it started is gone: the namespace died with its processes.
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(work.toString())))
                .as("processes left running from %s", work).isEmpty();
    }

    private static boolean namespacesAvailable() {
        try {
            Process p = new ProcessBuilder("unshare", "-rn", "true").redirectErrorStream(true)
                    .redirectOutput(new File("/dev/null")).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
