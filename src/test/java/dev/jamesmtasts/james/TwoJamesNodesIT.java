package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.testing.CassandraCluster;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * Two James nodes sharing one policy store: two real James 3.8.1 servers in this JVM, each with the
 * extension as shipped ({@link RealBackendTestModule}), their own SMTP and WebAdmin ports, their own DNS
 * view of MX records ({@link JamesHarness#dns}), one keyspace (replication factor 3, the default
 * consistency levels) on a three-node Cassandra cluster of their own (bin/cassandra cluster on 127.0.0.5-7,
 * CQL port 19142), and one testbed (DNS for the {@code _mta-sts} records and policy hosts, HTTPS policy
 * server, test CA). Node A has {@code cache.onStoreOutage=live} (the default), node B {@code defer}.
 * <ol>
 *   <li>Both nodes enforce the same policy: mail from either to an MX outside the policy is refused
 *       (deferred, the MX never contacted), to the policy's MX delivered over verified TLS.</li>
 *   <li>A refresher round run on both nodes at once refreshes each due domain once in all: the HTTPS
 *       server sees one policy fetch per domain, not one per node.</li>
 *   <li>An evict, and a forced refresh, on one node are honoured by the other once its near-cache entry
 *       is older than {@code cache.nearCacheTtl} (2 s here): it delivers by the policy the first node left in
 *       the store.</li>
 *   <li>Two Cassandra nodes of three killed: both James nodes say the store is degraded and keep
 *       delivering to a known domain over verified TLS; A looks a new domain up directly and enforces it
 *       (an MX outside the policy refused, the policy's MX delivered over TLS); B defers the mail to a new
 *       domain (nothing delivered, nothing fetched). The two Cassandra nodes start again: B's mail is
 *       delivered over verified TLS, and what A learnt is in the store.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoJamesNodesIT {
    private static final CassandraCluster CLUSTER =
            CassandraCluster.onLoopback("two-james-it", "127.0.0.5", 3, 19142, 17100, 17300);
    private static final String KEYSPACE = "mta_sts_two_james";
    /** Mail waits for a store outage longer than a Cassandra node's start: retried every 5 s for 5 min. */
    private static final String RETRIES = "<delayTime>5*1000</delayTime><maxRetries>60</maxRetries>";

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Near-cache TTL of both nodes; the refresher finds a row due 1 s after its last check. */
    private static final Duration NEAR_TTL = Duration.ofSeconds(2);
    private static final String PROPERTIES = "cassandra.replicationFactor=3\ncache.nearCacheTtl=2s\nrefresher.staleAfter=1s\n";

    private static EndToEndFixture e2e;
    private static MtaStsTestbed bed;
    private static JamesHarness jamesA;
    private static JamesHarness jamesB;

    @BeforeAll
    static void start() throws Exception {
        CLUSTER.start();
        String points = IntStream.rangeClosed(1, CLUSTER.size()).mapToObj(i -> CLUSTER.address(i) + ":19142")
                .collect(Collectors.joining(","));
        e2e = EndToEndFixture.start();
        bed = e2e.bed;
        jamesA = e2e.james(points, KEYSPACE, PROPERTIES, RETRIES);
        jamesB = e2e.james(points, KEYSPACE, PROPERTIES + "cache.onStoreOutage=defer\n", RETRIES);
        assertThat(jamesA.smtpPort()).isNotEqualTo(jamesB.smtpPort());
        assertThat(jamesA.webAdminPort()).isNotEqualTo(jamesB.webAdminPort());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            for (AutoCloseable c : new AutoCloseable[] {jamesA, jamesB, e2e}) {
                if (c != null) {
                    c.close();
                }
            }
        } finally {
            CLUSTER.stop();
        }
    }

    @Test
    @Order(2)
    void aRefresherRoundOnBothNodesRefreshesEachDueDomainOnceInAll() throws Exception {
        List<String> domains = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            domains.add("round" + i + ".test");
        }
        try (TestSmtpReceiver mx = e2e.tls("mx.round.test")) {
            for (String d : domains) {
                bed.publish(d, "1", policy("mx.round.test"));
                jamesA.mx(d, "mx.round.test:" + mx.port());
                jamesB.mx(d, "mx.round.test:" + mx.port());
            }
            // each node learns half of the domains by delivering to them (one message per domain)
            jamesA.send("alice@sender.test", "round from A", recipients(domains.subList(0, 6)));
            jamesB.send("alice@sender.test", "round from B", recipients(domains.subList(6, 12)));
            await().atMost(WAIT).until(() -> mx.received().size() == domains.size());
            assertThat(mx.received()).allMatch(m -> m.tls);
        }
        for (String d : domains) {
            assertThat(bed.https().requests("mta-sts." + d)).as(d + " fetched by the node that delivered").isEqualTo(1);
        }

        // every row becomes due (refresher.staleAfter=1s) and every domain publishes a new id: each row
        // the round visits needs one fetch
        Thread.sleep(1500);
        for (String d : domains) {
            republish(d, "2", policy("mx.round.test"));
        }
        CompletableFuture<JsonNode> roundA = CompletableFuture.supplyAsync(() -> post(jamesA, "/mta-sts/refresh-round"));
        CompletableFuture<JsonNode> roundB = CompletableFuture.supplyAsync(() -> post(jamesB, "/mta-sts/refresh-round"));
        JsonNode a = roundA.get();
        JsonNode b = roundB.get();
        System.out.printf("refresh round on two James nodes: A %s%n                                   B %s%n", a, b);
        assertThat(a.get("complete").asBoolean() || b.get("complete").asBoolean()).as(a + " / " + b).isTrue();
        assertThat(a.get("errors").asLong() + b.get("errors").asLong()).isZero();
        assertThat(a.get("updated").asLong() + b.get("updated").asLong()).as(a + " / " + b).isEqualTo(domains.size());

        Map<String, Integer> fetches = new HashMap<>();
        for (String d : domains) {
            fetches.put(d, bed.https().requests("mta-sts." + d) - 1);
        }
        assertThat(fetches).as("policy fetches per domain in the round, both nodes together")
                .allSatisfy((d, n) -> assertThat(n).as(d).isEqualTo(1));
        for (String d : domains) {
            assertThat(get(jamesB, "/mta-sts/policies/" + d).get(StoredPolicyView.POLICY_ID).asText()).isEqualTo("2");
        }
    }

    @Test
    @Order(3)
    void anEvictOrAForcedRefreshOnOneNodeIsHonouredByTheOtherWithinTheNearCacheTtl() throws Exception {
        String d = "shared.test";
        try (TestSmtpReceiver mx1 = e2e.tls("mx1.shared.test"); TestSmtpReceiver mx2 = e2e.tls("mx2.shared.test");
             TestSmtpReceiver mx3 = e2e.tls("mx3.shared.test")) {
            bed.publish(d, "1", policy("mx1.shared.test"));
            jamesA.mx(d, "mx1.shared.test:" + mx1.port());
            jamesB.mx(d, "mx1.shared.test:" + mx1.port());
            jamesA.send("alice@sender.test", "shared 1 from A", "bob@" + d);
            await().atMost(WAIT).until(() -> mx1.received().size() == 1);
            jamesB.send("alice@sender.test", "shared 1 from B", "bob@" + d);
            await().atMost(WAIT).until(() -> mx1.received().size() == 2);
            assertThat(mx1.received()).allMatch(m -> m.tls);
            assertThat(bed.https().requests("mta-sts." + d)).as("B found A's row in the store").isEqualTo(1);

            // The owner moves the MX and changes the body, not the id: B's TXT check finds nothing new, so
            // only the evict on A (row deleted) makes B fetch the new policy, once its entry is past the TTL.
            republish(d, "1", policy("mx2.shared.test"));
            assertThat(delete(jamesA, "/mta-sts/policies/" + d)).isEqualTo(204);
            Thread.sleep(NEAR_TTL.toMillis() + 500);
            jamesB.mx(d, "mx2.shared.test:" + mx2.port());
            jamesB.send("alice@sender.test", "shared 2 from B", "bob@" + d);
            await().atMost(WAIT).until(() -> mx2.received().size() == 1);
            assertThat(mx2.received().get(0).tls).isTrue();
            assertThat(mx2.received().get(0).subject).isEqualTo("shared 2 from B");
            assertThat(bed.https().requests("mta-sts." + d)).as("B fetched again: the row was gone").isEqualTo(2);

            // A forced refresh on A (new id, new MX): B delivers by it from the store, fetching nothing itself.
            republish(d, "3", policy("mx3.shared.test"));
            JsonNode refreshed = post(jamesA, "/mta-sts/policies/" + d + "/refresh");
            assertThat(refreshed.get(PolicyCacheAdmin.RESULT).asText()).startsWith("updated");
            assertThat(bed.https().requests("mta-sts." + d)).isEqualTo(3);
            Thread.sleep(NEAR_TTL.toMillis() + 500);
            jamesB.mx(d, "mx3.shared.test:" + mx3.port());
            jamesB.send("alice@sender.test", "shared 3 from B", "bob@" + d);
            await().atMost(WAIT).until(() -> mx3.received().size() == 1);
            assertThat(mx3.received().get(0).tls).isTrue();
            assertThat(bed.https().requests("mta-sts." + d)).as("B took A's refresh from the store").isEqualTo(3);
            // (the receiver records the message before its 250 reaches James; the report follows)
            await().atMost(WAIT).until(() -> RecordingListener.forDomain(d).stream()
                    .anyMatch(r -> r.verdict() == Verdict.ENFORCED_DELIVERED && "3".equals(r.policyId())));
            assertThat(mx1.received()).hasSize(2);
            assertThat(mx2.received()).hasSize(1);
        }
    }

    @Test
    @Order(1)
    void bothNodesEnforceTheSamePolicy() throws Exception {
        String d = "same.test";
        bed.publish(d, "1", policy("mx.same.test"));
        try (TestSmtpReceiver real = e2e.tls("mx.same.test"); TestSmtpReceiver impostor = e2e.tls("mx.impostor.test")) {
            // an MX outside the policy (with a valid certificate for its own name): refused by both nodes
            jamesA.mx(d, "mx.impostor.test:" + impostor.port());
            jamesB.mx(d, "mx.impostor.test:" + impostor.port());
            jamesA.send("alice@sender.test", "same from A", "bob@" + d);
            await().atMost(WAIT).until(() -> deferred(d) >= 1);
            jamesB.send("alice@sender.test", "same from B", "bob@" + d);
            await().atMost(WAIT).until(() -> deferred(d) >= 2);
            assertThat(impostor.connections()).isZero();
            assertThat(RecordingListener.forDomain(d)).allSatisfy(r -> {
                assertThat(r.policyMode()).isEqualTo("enforce");
                assertThat(r.policyId()).isEqualTo("1");
            });
            // the MX within the policy: both deferred mails are delivered, over verified TLS
            jamesA.mx(d, "mx.same.test:" + real.port());
            jamesB.mx(d, "mx.same.test:" + real.port());
            await().atMost(WAIT).until(() -> real.received().size() == 2);
            assertThat(real.received()).allMatch(m -> m.tls);
            assertThat(real.received().stream().map(m -> m.subject).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder("same from A", "same from B");
            assertThat(impostor.received()).isEmpty();
            await().atMost(WAIT).until(() -> RecordingListener.forDomain(d).stream()
                    .filter(r -> r.verdict() == Verdict.ENFORCED_DELIVERED).count() == 2);
            assertThat(bed.https().requests("mta-sts." + d)).as("one fetch for both nodes").isEqualTo(1);
        }
    }

    @Test
    @Order(4)
    void twoCassandraNodesOfThreeKilledLiveNodeEnforcesWhatItFetchesDeferNodeWaitsNothingIsLost() throws Exception {
        try (TestSmtpReceiver known = e2e.tls("mx.known.test"); TestSmtpReceiver fresh = e2e.tls("mx.fresh.test");
             TestSmtpReceiver waiting = e2e.tls("mx.waiting.test"); TestSmtpReceiver impostor = e2e.tls("mx.impostor.test")) {
            bed.publish("known.test", "1", policy("mx.known.test"));
            for (JamesHarness j : List.of(jamesA, jamesB)) {
                j.mx("known.test", "mx.known.test:" + known.port());
            }
            jamesA.send("alice@sender.test", "known from A", "bob@known.test");
            jamesB.send("alice@sender.test", "known from B", "bob@known.test");
            await().atMost(WAIT).until(() -> known.received().size() == 2);

            CLUSTER.kill(2);
            CLUSTER.kill(3);
            for (JamesHarness j : List.of(jamesA, jamesB)) {
                // the extension's background probe (every 10 s) finds no quorum
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> "degraded".equals(health(j)));
            }

            // known domain: both keep delivering over verified TLS, by the policy held in memory
            jamesA.send("alice@sender.test", "known from A during the outage", "bob@known.test");
            jamesB.send("alice@sender.test", "known from B during the outage", "bob@known.test");
            await().atMost(WAIT).until(() -> known.received().size() == 4);
            assertThat(known.received()).allMatch(m -> m.tls);

            // new domain on A (live): looked up directly and enforced - the MX outside the policy is refused...
            bed.publish("fresh.test", "1", policy("mx.fresh.test"));
            jamesA.mx("fresh.test", "mx.impostor.test:" + impostor.port());
            jamesA.send("alice@sender.test", "fresh from A during the outage", "bob@fresh.test");
            await().atMost(WAIT).until(() -> deferred("fresh.test") >= 1);
            assertThat(impostor.connections()).isZero();
            // ...and the policy's MX gets the mail over verified TLS
            jamesA.mx("fresh.test", "mx.fresh.test:" + fresh.port());
            await().atMost(WAIT).until(() -> fresh.received().size() == 1);
            assertThat(fresh.received().get(0).tls).isTrue();
            assertThat(bed.https().requests("mta-sts.fresh.test")).isEqualTo(1);

            // new domain on B (defer): the mail waits (a temporary failure), nothing delivered, nothing fetched
            bed.publish("waiting.test", "1", policy("mx.waiting.test"));
            jamesB.mx("waiting.test", "mx.waiting.test:" + waiting.port());
            jamesB.send("alice@sender.test", "waiting on B during the outage", "bob@waiting.test");
            await().atMost(WAIT).until(() -> RecordingListener.forDomain("waiting.test").size() >= 2);
            assertThat(RecordingListener.forDomain("waiting.test")).allSatisfy(r -> {
                assertThat(r.verdict()).isEqualTo(Verdict.LOOKUP_ERROR);
                assertThat(r.outcome()).isEqualTo(DeliveryAttemptReport.DeliveryOutcome.TEMPORARY_FAILURE);
            });
            assertThat(waiting.connections()).isZero();
            assertThat(bed.https().requests("mta-sts.waiting.test")).isZero();

            // the two Cassandra nodes come back on their data
            CLUSTER.startNode(2);
            CLUSTER.startNode(3);
            for (JamesHarness j : List.of(jamesA, jamesB)) {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> "healthy".equals(health(j)));
            }
            // B's waiting mail goes out at its next retry, over verified TLS, by the fetched policy
            await().atMost(Duration.ofMinutes(2)).until(() -> waiting.received().size() == 1);
            assertThat(waiting.received().get(0).tls).isTrue();
            await().atMost(WAIT).until(() -> RecordingListener.forDomain("waiting.test").stream()
                    .anyMatch(r -> r.verdict() == Verdict.ENFORCED_DELIVERED));
            // what A learnt during the outage is in the store (read by B, at quorum), written without a new fetch
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> show(jamesB, "fresh.test").statusCode() == 200);
            JsonNode row = new ObjectMapper().readTree(show(jamesB, "fresh.test").body());
            assertThat(row.get(StoredPolicyView.POLICY_ID).asText()).isEqualTo("1");
            assertThat(row.get(StoredPolicyView.MODE).asText()).isEqualTo("enforce");
            assertThat(bed.https().requests("mta-sts.fresh.test")).isEqualTo(1);
            assertThat(impostor.received()).isEmpty();
        }
    }

    private static String health(JamesHarness james) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri(james, "/mta-sts/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new ObjectMapper().readTree(r.body()).get("status").asText();
        } catch (Exception e) {
            return "unknown: " + e;
        }
    }

    private static HttpResponse<String> show(JamesHarness james, String domain) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri(james, "/mta-sts/policies/" + domain)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long deferred(String domain) {
        return RecordingListener.forDomain(domain).stream().filter(r -> r.verdict() == Verdict.ENFORCED_DEFERRED).count();
    }

    /** The owner of {@code d} publishes a new TXT record (replacing the old one: two would mean no policy) and policy. */
    private static void republish(String d, String id, String policy) {
        bed.dns().clear("_mta-sts." + d);
        bed.publish(d, id, policy);
    }

    private static String policy(String mx) {
        return "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 86400\n";
    }

    private static String[] recipients(List<String> domains) {
        return domains.stream().map(d -> "bob@" + d).toArray(String[]::new);
    }

    private static JsonNode post(JamesHarness james, String path) {
        return call(james, HttpRequest.newBuilder(uri(james, path)).POST(HttpRequest.BodyPublishers.noBody()).build(), 200);
    }

    private static JsonNode get(JamesHarness james, String path) {
        return call(james, HttpRequest.newBuilder(uri(james, path)).build(), 200);
    }

    private static int delete(JamesHarness james, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri(james, path)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static JsonNode call(JamesHarness james, HttpRequest request, int expectedStatus) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(request.uri() + ": " + r.body()).isEqualTo(expectedStatus);
            return new ObjectMapper().readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException(request.uri() + ": " + e, e);
        }
    }

    private static URI uri(JamesHarness james, String path) {
        return URI.create("http://127.0.0.1:" + james.webAdminPort() + path);
    }
}
