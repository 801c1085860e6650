package dev.jamesmtasts.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.HostileDomain;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;

/**
 * {@code mta-sts lookup} and {@code mta-sts cache show/list} over a hostile domain served by the
 * loopback DNS and HTTPS servers and stored in the real Cassandra node: the human output carries no
 * ESC, CR, NUL, C1 or bidi character (escaped instead), reasons and mx lists are short, and
 * {@code --json} keeps the policy text exact with those characters escaped as {@code \\uXXXX}.
 */
@ExtendWith(MtaStsTestbedExtension.class)
class MtaStsCliHostileTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static List<String> resolverOptions;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        resolverOptions = bed.cliResolverOptions(dir.resolve("ca.pem"));
        bed.dns().txt("_mta-sts.forge.test", HostileDomain.forgingRecord());
        bed.publish("evil.test", "evil1", HostileDomain.policy("evil.test"));
    }

    private static List<String> args(String subcommand, boolean cassandra, String... more) {
        List<String> args = new ArrayList<>(List.of(subcommand));
        args.addAll(resolverOptions);
        if (cassandra) {
            args.addAll(List.of("--cassandra", CassandraNode.HOST + ":" + CassandraNode.shared().port(),
                    "--keyspace", CASSANDRA.keyspace()));
        }
        args.addAll(Arrays.asList(more));
        return args;
    }

    private static void assertSafe(CliRun run) {
        assertThat(HostileDomain.firstUnsafeExceptLfAndTab(run.out)).as(run.out).isEqualTo(-1);
        assertThat(HostileDomain.firstUnsafeExceptLfAndTab(run.err)).as(run.err).isEqualTo(-1);
        for (String line : (run.out + "\n" + run.err).split("\n")) {
            assertThat(line).as("a line the domain wrote").doesNotStartWith(HostileDomain.TIMESTAMP);
        }
    }

    @Test
    void lookupOfAForgingRecordPrintsItEscapedAndShort() throws IOException {
        CliRun human = CliRun.run(args("lookup", false, "forge.test"));
        assertSafe(human);
        assertThat(human.out).contains("forge.test: none")
                .contains("'1\\x0D\\x0A" + HostileDomain.TIMESTAMP + "\\x1B[31m\\x00\u00C2\\x9B2J'");
        assertThat(human.out.length()).isLessThan(1200);

        CliRun json = CliRun.run(args("lookup", false, "--json", "forge.test"));
        assertSafe(json);
        assertThat(json.json().get("reason").asText()).contains("\\x0D\\x0A" + HostileDomain.TIMESTAMP + "\\x1B");
    }

    @Test
    void lookupAndCacheShowOfAHostilePolicyEscapeItsText() throws IOException {
        CliRun looked = CliRun.run(args("lookup", true, "evil.test"));
        assertThat(looked.status).as(looked.err).isZero();
        assertSafe(looked);
        assertThat(looked.out).contains("evil.test: policy (record id evil1)").contains("mx:      mx999.evil.test");

        CliRun shown = CliRun.run(args("cache", true, "show", "evil.test"));
        assertThat(shown.status).as(shown.err).isZero();
        assertSafe(shown);
        assertThat(shown.out).contains("x-note: \\u202Egnp.exe \\x9B2J " + HostileDomain.MARKER + " \\u2028"
                + HostileDomain.FORGED);

        CliRun listed = CliRun.run(args("cache", true, "list"));
        assertSafe(listed);
        assertThat(listed.out).contains("evil.test\tenforce\tid=evil1\tmx=mx0.evil.test,");

        // --json: the real bytes, escaped as JSON; nothing a terminal acts on left raw.
        CliRun json = CliRun.run(args("cache", true, "--json", "show", "evil.test"));
        assertThat(json.out).doesNotContain("\u202E", "\u009B", "\u2028", "\r").contains("\\u202E", "\\u009B", "\\u2028");
        JsonNode row = json.json();
        assertThat(row.get("policy_text").asText()).isEqualTo(HostileDomain.policy("evil.test"));
        assertThat(row.get("mx")).hasSize(HostileDomain.MX_COUNT);
    }
}
