package dev.jamesmtasts.james;

import static dev.jamesmtasts.james.MtaStsStoreOutageTest.get;
import static dev.jamesmtasts.james.MtaStsStoreOutageTest.storeAvailable;
import static dev.jamesmtasts.james.MtaStsStoreOutageTest.storeStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * A store outage with James's own session ({@code cassandra.useServerSession=auto} in a James that binds
 * one, {@link JamesCassandraSessionModule}) behaves as with the extension's own session
 * ({@link MtaStsStoreOutageTest}): health, MBean and live lookups while the node is down, back to
 * available by itself (James's session reconnects; the extension opens nothing) and the policy learnt
 * meanwhile written back. The node is an extra one on free ports (James needs it up to start at all);
 * the extension's {@code cassandra.contactPoints} names a port where nothing listens, so the store can only
 * ever be reached through James's session.
 */
class JamesServerSessionOutageTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.%s\nmax_age: 86400\n";

    private static CassandraNode node;
    private static EndToEndFixture e2e;

    @BeforeAll
    static void start() throws Exception {
        node = CassandraNode.extraOnFreePorts("serversession");
        node.deleteData();
        node.start();
        Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "stop-serversession-cassandra"));
        e2e = EndToEndFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (e2e != null) {
                e2e.close();
            }
        } finally {
            if (node != null) {
                node.stop();
            }
        }
    }

    @Test
    void aStoreOutageWithJamesSessionIsSeenAndHealsByItself() throws Exception {
        String ours = JamesServerSessionTest.keyspaceName("ours");
        try (TestSmtpReceiver before = e2e.tls("mx.before.test"); TestSmtpReceiver during = e2e.tls("mx.during.test");
             JamesHarness james = e2e.james("127.0.0.1:1", ours, "cassandra.useServerSession=auto\n",
                     JamesServerSessionTest.jamesCassandraProperties(node.port(), "james_outage", 1),
                     new JamesCassandraSessionModule())) {
            // 1. connected through James's session (our contact point leads nowhere)
            await().atMost(WAIT).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"healthy\"");
            deliver(james, "before.test", before);
            try (CqlSession s = node.newSession()) {
                assertThat(policyId(s, ours, "before.test")).isEqualTo("20261202");
            }

            // 2. the node stops: the watch notices, health is degraded, a new domain is looked up live
            node.stop();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> !storeAvailable());
            assertThat(storeStatus()).startsWith("unavailable");
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"degraded\"");
            deliver(james, "during.test", during);

            // 3. the node is back: James's session reconnects, the store is available, the policy written back
            node.start();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"healthy\"");
            try (CqlSession s = node.newSession()) {
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> policyId(s, ours, "during.test") != null);
                assertThat(policyId(s, ours, "during.test")).isEqualTo("20261202");
            }
            // looked up once each: before the outage (stored), during it (live, then written back)
            assertThat(e2e.bed.https().requests("mta-sts.before.test")).isEqualTo(1);
            assertThat(e2e.bed.https().requests("mta-sts.during.test")).isEqualTo(1);
        }
    }

    /** Publishes an enforce policy for {@code domain} with {@code mx} as its MX, sends a mail, sees it over TLS. */
    private static void deliver(JamesHarness james, String domain, TestSmtpReceiver mx) throws Exception {
        e2e.bed.publish(domain, "20261202", String.format(POLICY, domain));
        james.mx(domain, "mx." + domain + ":" + mx.port());
        james.send("alice@sender.test", "to " + domain, "bob@" + domain);
        await().atMost(WAIT).until(() -> mx.received().size() == 1);
        assertThat(mx.received().get(0).tls).isTrue();
        await().atMost(WAIT).until(() -> !RecordingListener.forDomain(domain).isEmpty());
        assertThat(RecordingListener.forDomain(domain).get(0).verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
    }

    private static String policyId(CqlSession session, String keyspace, String domain) {
        try {
            Row r = session.execute("SELECT record_id FROM " + keyspace + ".policies WHERE domain = '" + domain + "'").one();
            return r == null ? null : r.getString("record_id");
        } catch (RuntimeException e) { // the node may still be warming up
            return null;
        }
    }
}
