package dev.jamesmtasts.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * {@code mta-sts lookup --cassandra} and {@code mta-sts cache ...} run in-process against a real
 * Cassandra node and the loopback DNS and HTTPS test servers; each test has a keyspace of its own.
 */
@ExtendWith(MtaStsTestbedExtension.class)
class MtaStsCliCacheTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();
    private static final String TESTING_POLICY = "version: STSv1\nmode: testing\nmx: mx2.example.net\nmax_age: 3600\n";

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static List<String> resolverOptions;
    private static String cassandra;
    private String keyspace;

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        resolverOptions = bed.cliResolverOptions(dir.resolve("ca.pem"));
        cassandra = CassandraNode.HOST + ":" + CassandraNode.shared().port();
    }

    @BeforeEach
    void classKeyspace() {
        keyspace = CASSANDRA.keyspace();
    }

    @AfterEach
    void dropOwnKeyspace() {
        if (!keyspace.equals(CASSANDRA.keyspace())) {
            CASSANDRA.dropKeyspace(keyspace);
        }
    }

    /** Switches this test to a fresh keyspace of its own (for tests that list everything stored). */
    private void ownKeyspace() {
        keyspace = CASSANDRA.createKeyspace("clicachelist");
    }

    private static CliRun run(List<String> args) {
        return CliRun.run(args);
    }

    /** {@code SUBCOMMAND} with the test resolver options, this test's keyspace, then {@code more}. */
    private List<String> args(String subcommand, String... more) {
        List<String> args = new ArrayList<>(List.of(subcommand));
        args.addAll(resolverOptions);
        args.addAll(List.of("--cassandra", cassandra, "--keyspace", keyspace));
        args.addAll(Arrays.asList(more));
        return args;
    }

    private CliRun lookup(String... more) {
        return run(args("lookup", more));
    }

    private CliRun cache(String... more) {
        return run(args("cache", more));
    }

    private static int fetches(String domain) {
        return bed.https().requests("mta-sts." + domain);
    }

    @Test
    void lookupStoresThePolicyAndASecondLookupAnswersFromTheCacheWithoutFetching() throws IOException {
        bed.publish("stored.example", "s1", MtaStsTestbed.ENFORCE_POLICY);
        int before = fetches("stored.example");

        JsonNode first = lookup("--json", "stored.example").json();
        assertThat(first.get("result").asText()).isEqualTo("policy");
        assertThat(first.get("record").get("id").asText()).isEqualTo("s1");
        assertThat(first.get("policy").get("mode").asText()).isEqualTo("enforce");
        assertThat(first.get("policy").get("mx")).extracting(JsonNode::asText)
                .containsExactly("mx1.example.net", "*.example.org");
        assertThat(first.get("cache").get("outcome").asText()).isEqualTo("ok");
        assertThat(first.get("cache").get("from_cache").asBoolean()).isFalse();
        assertThat(first.get("cache").get("fresh").asBoolean()).isTrue();
        assertThat(fetches("stored.example")).isEqualTo(before + 1);

        // A second run is a new process as far as the cache goes: empty near cache, the row in Cassandra.
        CliRun second = lookup("--json", "stored.example");
        assertThat(second.status).as(second.err).isZero();
        JsonNode again = second.json();
        assertThat(again.get("result").asText()).isEqualTo("policy");
        assertThat(again.get("record").get("id").asText()).isEqualTo("s1");
        assertThat(again.get("policy")).isEqualTo(first.get("policy"));
        assertThat(again.get("cache").get("outcome").asText()).isEqualTo("ok");
        assertThat(again.get("cache").get("from_cache").asBoolean()).isTrue();
        assertThat(fetches("stored.example")).as("no second HTTPS fetch").isEqualTo(before + 1);

        CliRun human = lookup("stored.example");
        assertThat(human.status).isZero();
        assertThat(human.out).contains("stored.example: policy (record id s1)").contains("mode:    enforce")
                .contains("cache:   ok, from the cache");
        assertThat(fetches("stored.example")).isEqualTo(before + 1);
    }

    @Test
    void lookupThroughTheCacheReportsBackoffNotFoundAndTemporaryErrors() throws IOException {
        bed.dns().txt("_mta-sts.broken.example", "v=STSv1; id=b1;");
        bed.serve("broken.example", Response.status(500));
        bed.dns().fault("_mta-sts.servfail.example", Fault.SERVFAIL);
        int before = fetches("broken.example");

        CliRun r = lookup("--json", "broken.example", "absent.example", "servfail.example");
        assertThat(r.status).as(r.err).isZero();
        List<JsonNode> lines = r.jsonLines();
        assertThat(lines).extracting(l -> l.get("domain").asText())
                .containsExactly("broken.example", "absent.example", "servfail.example");
        assertThat(lines.get(0).get("result").asText()).isEqualTo("fetch-error");
        assertThat(lines.get(0).get("cache").get("outcome").asText()).isEqualTo("backoff");
        assertThat(lines.get(0).get("cache").get("from_cache").asBoolean()).isFalse();
        assertThat(lines.get(1).get("result").asText()).isEqualTo("none");
        assertThat(lines.get(1).get("cache").get("outcome").asText()).isEqualTo("notfound");
        assertThat(lines.get(2).get("result").asText()).isEqualTo("temporary");
        assertThat(lines.get(2).get("cache").get("outcome").asText()).isEqualTo("error");
        assertThat(lines.get(2).get("reason").asText()).contains("SERVFAIL");
        assertThat(fetches("broken.example")).isEqualTo(before + 1);

        // The backoff is stored: the next run does not fetch again (RFC 8461 §3.3).
        JsonNode again = lookup("--json", "broken.example").json();
        assertThat(again.get("cache").get("outcome").asText()).isEqualTo("backoff");
        assertThat(again.get("cache").get("from_cache").asBoolean()).isTrue();
        assertThat(fetches("broken.example")).isEqualTo(before + 1);
    }

    @Test
    void listPagesThroughStoredPoliciesInBothOutputs() throws IOException {
        ownKeyspace();
        for (String d : List.of("l1.example", "l2.example", "l3.example")) {
            bed.publish(d, "id" + d.substring(0, 2), MtaStsTestbed.ENFORCE_POLICY);
        }
        assertThat(lookup("l1.example", "l2.example", "l3.example").status).isZero();

        CliRun page1 = cache("--json", "list", "--limit", "2");
        assertThat(page1.status).as(page1.err).isZero();
        List<JsonNode> lines = page1.jsonLines();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(2).fieldNames()).toIterable().containsExactly("next_page");
        String token = lines.get(2).get("next_page").asText();
        List<String> seen = new ArrayList<>();
        for (JsonNode l : lines.subList(0, 2)) {
            seen.add(l.get("domain").asText());
            assertThat(l.get("mode").asText()).isEqualTo("enforce");
            assertThat(l.get("policy_id").asText()).isEqualTo("id" + l.get("domain").asText().substring(0, 2));
            assertThat(l.has("valid_until")).isTrue();
            assertThat(l.has("backoff")).isFalse();
        }

        CliRun page2 = cache("--json", "list", "--limit", "2", "--page", token);
        assertThat(page2.status).as(page2.err).isZero();
        List<JsonNode> rest = page2.jsonLines();
        assertThat(rest).hasSize(1);
        seen.add(rest.get(0).get("domain").asText());
        assertThat(seen).containsExactlyInAnyOrder("l1.example", "l2.example", "l3.example");

        CliRun human = cache("list", "--limit", "2");
        assertThat(human.status).isZero();
        String[] humanLines = human.out.split("\n");
        assertThat(humanLines).hasSize(3);
        assertThat(humanLines[0]).matches("l[123]\\.example\tenforce\tid=idl[123]\tmx=mx1\\.example\\.net,\\*\\.example\\.org\tvalid-until=.*");
        assertThat(humanLines[2]).startsWith("# more: --page ");

        CliRun all = cache("list");
        assertThat(all.out.split("\n")).hasSize(3).noneMatch(l -> l.startsWith("#"));
    }

    @Test
    void showPrintsTheStoredRowAndExitsOneForAnAbsentDomain() throws IOException {
        bed.publish("shown.example", "sh1", MtaStsTestbed.ENFORCE_POLICY);
        assertThat(lookup("shown.example").status).isZero();

        CliRun human = cache("show", "SHOWN.example.");
        assertThat(human.status).as(human.err).isZero();
        assertThat(human.out).contains("domain: shown.example\n").contains("record id: sh1\n").contains("mode: enforce\n")
                .contains("mx: *.example.org\n").contains("max_age: 86400\n").contains("valid until: ")
                .endsWith("\n" + MtaStsTestbed.ENFORCE_POLICY);

        JsonNode json = cache("show", "--json", "shown.example").json();
        assertThat(json.get("domain").asText()).isEqualTo("shown.example");
        assertThat(json.get("policy_id").asText()).isEqualTo("sh1");
        assertThat(json.get("max_age").asLong()).isEqualTo(86400);
        assertThat(json.get("policy_text").asText()).isEqualTo(MtaStsTestbed.ENFORCE_POLICY);

        CliRun absent = cache("show", "never-seen.example");
        assertThat(absent.status).isEqualTo(1);
        assertThat(absent.out).isEmpty();
        assertThat(absent.err).contains("no cached policy for never-seen.example");
    }

    @Test
    void refreshFetchesNowAndStoresTheNewPolicy() throws IOException {
        bed.publish("changing.example", "c1", MtaStsTestbed.ENFORCE_POLICY);
        assertThat(lookup("changing.example").status).isZero();
        int before = fetches("changing.example");
        bed.dns().clear("_mta-sts.changing.example");
        bed.publish("changing.example", "c2", TESTING_POLICY);

        JsonNode json = cache("--json", "refresh", "changing.example").json();
        assertThat(json.get("outcome").asText()).isEqualTo("updated");
        assertThat(json.get("stored").get("policy_id").asText()).isEqualTo("c2");
        assertThat(json.get("stored").get("mode").asText()).isEqualTo("testing");
        assertThat(fetches("changing.example")).isEqualTo(before + 1);

        // A failed refresh keeps the valid stored policy (RFC 8461 §5.1).
        bed.serve("changing.example", Response.status(503));
        CliRun human = cache("refresh", "changing.example");
        assertThat(human.status).as(human.err).isZero();
        assertThat(human.out).startsWith("changing.example: kept (").contains("record id: c2\n").contains("mode: testing\n");

        JsonNode shown = cache("--json", "show", "changing.example").json();
        assertThat(shown.get("mode").asText()).isEqualTo("testing");
    }

    @Test
    void evictDeletesTheRowAndExitsOneWhenThereIsNone() throws IOException {
        ownKeyspace();
        bed.publish("evicted.example", "e1", MtaStsTestbed.ENFORCE_POLICY);
        bed.publish("kept.example", "k1", MtaStsTestbed.ENFORCE_POLICY);
        assertThat(lookup("evicted.example", "kept.example").status).isZero();

        CliRun evict = cache("evict", "evicted.example");
        assertThat(evict.status).as(evict.err).isZero();
        assertThat(evict.out).isEqualTo("evicted evicted.example\n");
        assertThat(cache("show", "evicted.example").status).isEqualTo(1);
        assertThat(cache("show", "kept.example").status).isZero();

        CliRun again = cache("--json", "evict", "evicted.example");
        assertThat(again.status).isEqualTo(1);
        assertThat(again.err).contains("no cached policy for evicted.example");

        JsonNode json = cache("--json", "evict", "kept.example").json();
        assertThat(json.get("evicted").asBoolean()).isTrue();
        assertThat(cache("--json", "list").out).isEmpty();
    }

    @Test
    void refreshRoundRunsARoundAndReportsIt() throws IOException {
        bed.publish("round.example", "r1", MtaStsTestbed.ENFORCE_POLICY);
        assertThat(lookup("round.example").status).isZero();

        JsonNode json = cache("--json", "refresh-round").json();
        assertThat(json.get("complete").asBoolean()).isTrue();
        assertThat(json.get("round").asLong()).isPositive();
        assertThat(json.get("outcomes").fieldNames()).toIterable()
                .contains("updated", "unchanged", "deleted", "kept", "failed", "not-due", "skipped");
        // The policy was fetched just now: nothing is due, nothing is fetched or deleted.
        assertThat(json.get("outcomes").get("updated").asLong()).isZero();
        assertThat(json.get("outcomes").get("deleted").asLong()).isZero();
        assertThat(json.get("errors").asLong()).isZero();

        CliRun human = cache("refresh-round");
        assertThat(human.status).as(human.err).isZero();
        assertThat(human.out).startsWith("round ").contains("  updated: 0\n").contains("units done: ");
        assertThat(cache("show", "round.example").status).isZero();
    }

    @Test
    void cacheCommandsOnAKeyspaceWithoutTheCacheExitOne() {
        CliRun r = run(List.of("cache", "--cassandra", cassandra, "--keyspace", "no_such_ks_here", "list"));
        assertThat(r.status).isEqualTo(1);
        assertThat(r.err).contains("no policy cache in keyspace no_such_ks_here");
    }

    @Test
    void unreachableCassandraExitsThreeNamingTheContactPointWithinABound() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String target = "127.0.0.1:" + closed;
        for (List<String> args : List.of(
                List.of("cache", "--cassandra", target, "list"),
                List.of("cache", "--cassandra", target, "--json", "show", "a.example"),
                List.of("lookup", "--cassandra", target, "--resolver", "127.0.0.1:" + bed.dns().port(), "a.example"))) {
            CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(args));
            assertThat(r.status).as(String.join(" ", args)).isEqualTo(3);
            assertThat(r.err).contains("cannot reach Cassandra at " + target).contains("bin/cassandra start");
            assertThat(r.out).isEmpty();
        }
    }

    @Test
    void unknownDatacenterExitsThreeNamingTheClusterDatacenters() {
        CliRun r = run(List.of("cache", "--cassandra", cassandra, "--datacenter", "nowhere", "list"));
        assertThat(r.status).isEqualTo(3);
        assertThat(r.err).contains("no node in datacenter 'nowhere'").contains("datacenter1");
    }

    @Test
    void usageErrorsExitTwo() {
        for (List<String> args : List.of(
                List.of("cache"),
                List.of("cache", "frobnicate"),
                List.of("cache", "show"),
                List.of("cache", "list", "extra.example"),
                List.of("cache", "show", "a.example", "b.example"),
                List.of("cache", "list", "--limit", "0"),
                List.of("cache", "list", "--limit", "many"),
                List.of("cache", "show", "--page", "x", "a.example"),
                List.of("cache", "show", "a..example"),
                List.of("cache", "--bogus", "list"),
                List.of("cache", "--cassandra", "127.0.0.1:99999", "list"),
                List.of("cache", "--keyspace", "bad-name!", "list"),
                List.of("lookup", "--keyspace", "ks", "a.example"),
                List.of("lookup", "--cassandra"))) {
            CliRun r = run(args);
            assertThat(r.status).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err).as(String.join(" ", args)).contains("usage:");
            assertThat(r.out).as(String.join(" ", args)).isEmpty();
        }
    }

    @Test
    void jmxIsASubcommandWithItsOwnUsageAndExitCodes() throws IOException {
        CliRun usage = run(List.of("jmx"));
        assertThat(usage.status).isEqualTo(2);
        assertThat(usage.err).contains("usage: jmx --jmx HOST:PORT");

        CliRun noDomain = run(List.of("jmx", "--jmx", "127.0.0.1:1", "show"));
        assertThat(noDomain.status).isEqualTo(2);
        assertThat(noDomain.err).contains("show needs a DOMAIN");

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CliRun unreachable = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run(List.of("jmx", "--jmx", "127.0.0.1:" + closed, "counters")));
        assertThat(unreachable.status).isEqualTo(3);
        assertThat(unreachable.err).contains("cannot connect to 127.0.0.1:" + closed);

        CliRun help = run(List.of("--help"));
        assertThat(help.out).contains("cache [OPTIONS] list").contains("jmx --jmx HOST:PORT").contains("--cassandra HOST[:PORT]");
    }
}
