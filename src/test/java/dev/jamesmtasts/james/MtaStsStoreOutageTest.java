package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import javax.management.ObjectName;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * The store is optional at run time, in a real James 3.8.1 with the extension as shipped: its
 * {@code mta-sts.properties} names a Cassandra port where nothing listens yet. James starts,
 * {@code /mta-sts/health}, the MBean and the {@code mtasts.store.available} gauge say the store is
 * degraded, and an enforce domain published by the test DNS and HTTPS servers is still enforced
 * ({@code cache.onStoreOutage=live}: impostor MX refused, the real MX gets the mail over TLS). Then a
 * Cassandra node is started on that port (bin/cassandra, data under target/): the extension connects by
 * itself, health turns healthy and the policy learnt meanwhile is written to the store. Then the node
 * stops mid-run and starts again: the same cycle, with the session James already had.
 */
class MtaStsStoreOutageTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String KEYSPACE = "mta_sts_outage";
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.outage.test\nmax_age: 86400\n";

    private static CassandraNode node;
    private static EndToEndFixture e2e;
    private static MtaStsTestbed bed;

    @BeforeAll
    static void start() throws Exception {
        node = CassandraNode.extraOnFreePorts("outage");
        node.deleteData();
        assertThat(node.listening()).isFalse();
        e2e = EndToEndFixture.start();
        bed = e2e.bed;
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
    void jamesStartsWithoutCassandraEnforcesLiveAndConnectsWhenCassandraComesUp() throws Exception {
        bed.publish("outage.test", "20261202", POLICY);
        try (TestSmtpReceiver real = e2e.tls("mx.outage.test"); TestSmtpReceiver impostor = e2e.tls("mx.impostor.test");
             JamesHarness james = e2e.james("127.0.0.1:" + node.port(), KEYSPACE)) {
            // 1. James is up; the extension says the store is degraded, in its health view, MBean and metric.
            HttpResponse<String> health = get(james, "/mta-sts/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"degraded\",\"checks\":[{\"componentName\":\"MTA-STS policy store\"")
                    .contains("\"escapedComponentName\":\"MTA-STS%20policy%20store\"");
            assertThat(storeAvailable()).isFalse();
            assertThat(storeStatus()).startsWith("unavailable").contains(Integer.toString(node.port()));
            assertThat(get(james, "/metrics").body()).containsPattern("mtasts_store_available\\S* 0");

            // 2. The enforce policy is looked up live and enforced: the impostor MX is refused...
            james.mx("outage.test", "mx.impostor.test:" + impostor.port());
            james.send("alice@sender.test", "during the outage", "bob@outage.test");
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("outage.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("outage.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DEFERRED);
            assertThat(r.policyMode()).isEqualTo("enforce");
            assertThat(impostor.connections()).isZero();
            // ...and the real MX gets the mail over TLS once the MX record is right again
            james.mx("outage.test", "mx.outage.test:" + real.port());
            await().atMost(WAIT).until(() -> real.received().size() == 1);
            assertThat(real.received().get(0).tls).isTrue();
            assertThat(impostor.received()).isEmpty();
            assertThat(bed.https().requests("mta-sts.outage.test")).isEqualTo(1);

            // 3. Cassandra comes up on that port: the extension connects by itself (capped back-off).
            node.start();
            Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "stop-outage-cassandra"));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(MtaStsStoreOutageTest::storeAvailable);
            HttpResponse<String> healthy = get(james, "/mta-sts/health");
            assertThat(healthy.statusCode()).isEqualTo(200);
            assertThat(healthy.body()).startsWith("{\"status\":\"healthy\"");
            assertThat(get(james, "/metrics").body()).containsPattern("mtasts_store_available\\S* 1");

            // 4. The policy learnt during the outage is written to the store.
            try (CqlSession session = node.newSession()) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                        .until(() -> policyRow(session, "outage.test") != null);
                Row row = policyRow(session, "outage.test");
                assertThat(row.getString("mode")).isEqualTo("enforce");
                assertThat(row.getString("record_id")).isEqualTo("20261202");
            }
            // fetched once, during the outage: writing it back needed no new fetch
            assertThat(bed.https().requests("mta-sts.outage.test")).isEqualTo(1);

            // 5. Cassandra stops mid-run: the watch notices without any mail flowing, and a domain new to
            //    this node is still looked up live and delivered over verified TLS.
            node.stop();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> !storeAvailable());
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"degraded\"");
            bed.publish("later.test", "20261203", POLICY.replace("mx.outage.test", "mx.later.test"));
            try (TestSmtpReceiver later = e2e.tls("mx.later.test")) {
                james.mx("later.test", "mx.later.test:" + later.port());
                james.send("alice@sender.test", "mid-run outage", "carol@later.test");
                await().atMost(WAIT).until(() -> later.received().size() == 1);
                assertThat(later.received().get(0).tls).isTrue();
            }
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("later.test").isEmpty());
            assertThat(RecordingListener.forDomain("later.test").get(0).verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);

            // 6. Cassandra is back: the same session reconnects, health turns healthy, the policy is written.
            node.start();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"healthy\"");
            try (CqlSession session = node.newSession()) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                        .until(() -> policyRow(session, "later.test") != null);
                assertThat(policyRow(session, "later.test").getString("record_id")).isEqualTo("20261203");
            }
        }
    }

    private static Row policyRow(CqlSession session, String domain) {
        try {
            return session.execute("SELECT mode, record_id FROM " + KEYSPACE + ".policies WHERE domain = '" + domain + "'").one();
        } catch (RuntimeException e) { // the keyspace may not exist yet
            return null;
        }
    }

    static boolean storeAvailable() throws Exception {
        return (Boolean) ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName(MtaStsMBean.OBJECT_NAME),
                "StoreAvailable");
    }

    static String storeStatus() throws Exception {
        return (String) ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName(MtaStsMBean.OBJECT_NAME),
                "StoreStatus");
    }

    static HttpResponse<String> get(JamesHarness james, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort()
                + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
