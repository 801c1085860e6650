package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * The whole product in a real James 3.8.1: the extension module as shipped ({@link MtaStsModule},
 * no test double), its policy cache in the real Cassandra node, policies published over real DNS
 * (TXT) and HTTPS by the test servers, MX receivers with STARTTLS and test-CA certificates.
 *
 * <p>One scenario runs across a James restart: the policy is learnt, the policy host then goes dark
 * (TXT gone, HTTPS answering 500) and an attacker swaps the MX; a fresh James over the same keyspace
 * still enforces the stored policy, without fetching anything.
 */
class MtaStsEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.secure.test\nmax_age: 86400\n";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static EndToEndFixture e2e;
    private static MtaStsTestbed bed;

    @BeforeAll
    static void start() throws Exception {
        e2e = EndToEndFixture.start();
        bed = e2e.bed;
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    private JamesHarness james() throws Exception {
        return e2e.james("127.0.0.1:9042", CASSANDRA.keyspace());
    }

    private static TestSmtpReceiver tls(String name) {
        return e2e.tls(name);
    }

    @Test
    void storedPolicyIsEnforcedAcrossARestartWhileThePolicyHostIsDark() throws Exception {
        bed.publish("secure.test", "20261128", POLICY);
        try (TestSmtpReceiver real = tls("mx.secure.test"); TestSmtpReceiver impostor = tls("mx.attacker.test")) {
            // 1. First James learns the policy over DNS + HTTPS and delivers over verified TLS.
            try (JamesHarness james = james()) {
                james.mx("secure.test", "mx.secure.test:" + real.port());
                james.send("alice@sender.test", "first", "bob@secure.test");
                await().atMost(WAIT).until(() -> real.received().size() == 1);
                assertThat(real.received().get(0).tls).isTrue();
                assertThat(bed.https().requests("mta-sts.secure.test")).isEqualTo(1);

                // The policy is in Cassandra and visible through the MBean.
                Row row = CASSANDRA.session().execute("SELECT mode, record_id FROM " + CASSANDRA.keyspace()
                        + ".policies WHERE domain = 'secure.test'").one();
                assertThat(row).isNotNull();
                assertThat(row.getString("mode")).isEqualTo("enforce");
                assertThat(row.getString("record_id")).isEqualTo("20261128");
                // Cache metrics land in James's own registry: WebAdmin /metrics shows them.
                String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + james.webAdminPort() + "/metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).containsPattern("mtasts.cache.get.ok").containsPattern("mtasts.fetch.latency");
                // WebAdmin shows the same row.
                java.net.http.HttpResponse<String> shown = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + james.webAdminPort()
                                + "/mta-sts/policies/secure.test")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(shown.statusCode()).isEqualTo(200);
                assertThat(shown.body()).contains("\"mode\":\"enforce\"").contains("\"policy_id\":\"20261128\"");
                java.net.http.HttpResponse<String> missing = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + james.webAdminPort()
                                + "/mta-sts/policies/unknown.test")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(missing.statusCode()).isEqualTo(404);
                List<Map<String, String>> listed = listThroughMBean();
                assertThat(listed).anySatisfy(m -> {
                    assertThat(m).containsEntry("domain", "secure.test").containsEntry("mode", "enforce")
                            .containsEntry("mx", "mx.secure.test").containsEntry("policy_id", "20261128");
                });
            }

            // 2. The policy host goes dark and the attacker swaps the MX for a host with a genuine
            //    certificate of its own.
            bed.dns().fault("_mta-sts.secure.test", TestDnsServer.Fault.NXDOMAIN);
            bed.https().respond("mta-sts.secure.test", TestHttpsServer.Response.status(500));
            int requestsBefore = bed.https().requests("mta-sts.secure.test");
            RecordingListener.REPORTS.clear();

            // 3. A new James over the same keyspace refuses the impostor from the stored policy...
            try (JamesHarness james = james()) {
                james.mx("secure.test", "mx.attacker.test:" + impostor.port());
                james.send("alice@sender.test", "second", "bob@secure.test");
                await().atMost(WAIT).until(() -> !RecordingListener.forDomain("secure.test").isEmpty());
                DeliveryAttemptReport r = RecordingListener.forDomain("secure.test").get(0);
                assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DEFERRED);
                assertThat(r.policyMode()).isEqualTo("enforce");
                assertThat(impostor.connections()).isZero();

                // ...and delivers once the MX is right again: the mail was kept, not lost.
                james.mx("secure.test", "mx.secure.test:" + real.port());
                await().atMost(WAIT).until(() -> real.received().size() == 2);
                assertThat(real.received().get(1).tls).isTrue();
                assertThat(impostor.received()).isEmpty();
            }
            // Nothing was fetched after the restart: the stored policy was enough.
            assertThat(bed.https().requests("mta-sts.secure.test")).isEqualTo(requestsBefore);
        }
    }

    @Test
    void domainWithoutPolicyIsDeliveredAsRemoteDeliveryWould() throws Exception {
        try (TestSmtpReceiver plain = new TestSmtpReceiver("mx.plain.test", null); JamesHarness james = james()) {
            bed.dns().fault("_mta-sts.plain.test", TestDnsServer.Fault.NXDOMAIN);
            james.mx("plain.test", "mx.plain.test:" + plain.port());
            james.send("alice@sender.test", "plain", "carol@plain.test");
            await().atMost(WAIT).until(() -> plain.received().size() == 1);
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("plain.test").isEmpty());
            assertThat(RecordingListener.forDomain("plain.test").get(0).verdict()).isEqualTo(Verdict.NO_POLICY);
            assertThat(bed.dns().queries("_mta-sts.plain.test", org.xbill.DNS.Type.TXT)).isGreaterThanOrEqualTo(1);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, String>> listThroughMBean() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        return (List<Map<String, String>>) server.invoke(new ObjectName(MtaStsMBean.OBJECT_NAME), "listPolicies",
                new Object[] {null, 100}, new String[] {String.class.getName(), int.class.getName()});
    }
}
