package dev.jamesmtasts.james;

import static dev.jamesmtasts.james.MtaStsStoreOutageTest.get;
import static dev.jamesmtasts.james.MtaStsStoreOutageTest.storeAvailable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import javax.management.ObjectName;

import org.apache.commons.lang3.exception.ExceptionUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.CqlClients;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * {@code cassandra.useServerSession} in a real James 3.8.1 whose server injector binds a {@code CqlSession}
 * the way the distributed app does ({@link JamesCassandraSessionModule}: James's own classes, its
 * {@code conf/cassandra.properties}, its keyspace), against the shared Cassandra node, with the extension
 * as shipped ({@link RealBackendTestModule}).
 *
 * <p>Which sessions talk to the node is seen from both ends ({@link CqlClients}): the JVM's sockets to
 * 9042 matched against the node's {@code system_views.clients} and the {@code CLIENT_ID} each session
 * announces. With James's session the extension adds none; with its own it adds exactly one (the
 * controls below show the method sees it).
 */
class JamesServerSessionTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String[] POLICY_TABLES = {"policies", "policy_due", "refresh_leases", "refresh_state"};

    private static EndToEndFixture e2e;

    @BeforeAll
    static void start() throws Exception {
        e2e = EndToEndFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    /**
     * auto + a James that has a session: the extension uses it (no connection of its own), its tables are
     * created in ITS keyspace ({@code cassandra.keyspace} of mta-sts.properties) with ITS replication
     * ({@code cassandra.replicationFactor}), not in James's keyspace nor with James's
     * {@code cassandra.replication.factor}; a policy looked up for a delivery is stored there and read back
     * through James's session.
     */
    @Test
    void autoUsesJamesSessionAndKeepsThePolicyTablesInItsOwnKeyspace() throws Exception {
        String ours = keyspaceName("ours");
        String jamesKs = keyspaceName("james");
        Set<String> before = sessionIds();
        try (TestSmtpReceiver mx = e2e.tls("mx.shared-session.test");
             JamesHarness james = e2e.james("127.0.0.1:" + CassandraNode.DEFAULT_PORT, ours,
                     "cassandra.useServerSession=auto\ncassandra.replicationFactor=1\n",
                     jamesCassandraProperties(jamesKs, 2), new JamesCassandraSessionModule())) {
            CqlSession jamesSession = james.probe(JamesCassandraSessionModule.SessionProbe.class).session();
            assertThat(jamesSession.getKeyspace()).contains(CqlIdentifier.fromCql(jamesKs));
            await().atMost(WAIT).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(get(james, "/mta-sts/health").body()).startsWith("{\"status\":\"healthy\"");
            // James's own health view has its Cassandra check, over the same session
            assertThat(get(james, "/healthcheck/checks").body()).contains("Cassandra backend");

            // a policy looked up through James, enforced, stored, read back
            e2e.bed.publish("shared-session.test", "20261202",
                    "version: STSv1\nmode: enforce\nmx: mx.shared-session.test\nmax_age: 86400\n");
            james.mx("shared-session.test", "mx.shared-session.test:" + mx.port());
            james.send("alice@sender.test", "through James's session", "bob@shared-session.test");
            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            assertThat(mx.received().get(0).tls).isTrue();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("shared-session.test").isEmpty());
            assertThat(RecordingListener.forDomain("shared-session.test").get(0).verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
            Row row = CASSANDRA.session().execute("SELECT mode, record_id FROM " + ours
                    + ".policies WHERE domain = 'shared-session.test'").one();
            assertThat(row).isNotNull();
            assertThat(row.getString("mode")).isEqualTo("enforce");
            assertThat(row.getString("record_id")).isEqualTo("20261202");
            @SuppressWarnings("unchecked")
            Map<String, String> shown = (Map<String, String>) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName(MtaStsMBean.OBJECT_NAME), "showPolicy", new Object[] {"shared-session.test"},
                    new String[] {String.class.getName()});
            assertThat(shown).containsEntry(StoredPolicyView.MODE, "enforce").containsEntry(StoredPolicyView.POLICY_ID, "20261202");

            // the refresher's leases (lightweight transactions at the serial consistency) through James's session
            @SuppressWarnings("unchecked")
            Map<String, String> round = (Map<String, String>) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName(MtaStsMBean.OBJECT_NAME), "runRefresherRound", new Object[0], new String[0]);
            assertThat(round).containsEntry("complete", "true").containsEntry("errors", "0");

            // the keyspace and replication the docs say: ours, with cassandra.replicationFactor
            assertThat(replication(ours)).containsEntry("class", "org.apache.cassandra.locator.SimpleStrategy")
                    .containsEntry("replication_factor", "1");
            assertThat(tables(ours)).contains(POLICY_TABLES);
            assertThat(replication(jamesKs)).containsEntry("replication_factor", "2");
            assertThat(tables(jamesKs)).contains("schemaversion").doesNotContain(POLICY_TABLES);

            // no session of its own: the JVM's sessions on the node are those it had, plus James's
            String jamesId = CqlClients.clientId(jamesSession);
            await().atMost(WAIT).untilAsserted(() -> assertThat(newSessions(before)).containsOnlyKeys(jamesId));
        } finally {
            CASSANDRA.dropKeyspace(ours);
            CASSANDRA.dropKeyspace(jamesKs);
        }
    }

    /** Control of the method above: with false the extension opens its own session although James has one. */
    @Test
    void falseOpensItsOwnSessionEvenWhenJamesHasOne() throws Exception {
        String ours = keyspaceName("own");
        String jamesKs = keyspaceName("jamesown");
        Set<String> before = sessionIds();
        try (JamesHarness james = e2e.james("127.0.0.1:" + CassandraNode.DEFAULT_PORT, ours,
                "cassandra.useServerSession=false\n", jamesCassandraProperties(jamesKs, 1), new JamesCassandraSessionModule())) {
            String jamesId = CqlClients.clientId(james.probe(JamesCassandraSessionModule.SessionProbe.class).session());
            await().atMost(WAIT).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(tables(ours)).contains(POLICY_TABLES);
            await().atMost(WAIT).untilAsserted(() -> {
                Map<String, Integer> added = newSessions(before);
                assertThat(added).containsKey(jamesId).hasSize(2);
            });
        } finally {
            CASSANDRA.dropKeyspace(ours);
            CASSANDRA.dropKeyspace(jamesKs);
        }
    }

    /** auto on a James without a session (the memory app): the extension opens its own, and the store works. */
    @Test
    void autoWithoutJamesSessionOpensItsOwn() throws Exception {
        String ours = keyspaceName("fallback");
        Set<String> before = sessionIds();
        try (JamesHarness james = e2e.james("127.0.0.1:" + CassandraNode.DEFAULT_PORT, ours,
                "cassandra.useServerSession=auto\n", Map.of(), binder -> { })) {
            await().atMost(WAIT).until(MtaStsStoreOutageTest::storeAvailable);
            assertThat(tables(ours)).contains(POLICY_TABLES);
            assertThat(replication(ours)).containsEntry("replication_factor", "1");
            await().atMost(WAIT).untilAsserted(() -> assertThat(newSessions(before)).hasSize(1));
        } finally {
            CASSANDRA.dropKeyspace(ours);
        }
    }

    /** true on a James without a session: the start fails, naming the key and the fix. */
    @Test
    void trueWithoutJamesSessionFailsTheStartNamingTheKeyAndTheFix() {
        Throwable t = catchThrowable(() -> new JamesHarness(JamesHarness.mailetContainer(""),
                "cassandra.useServerSession=true\n", RealBackendTestModule.class).close());
        assertThat(t).isNotNull();
        assertThat(ExceptionUtils.getThrowableList(t)).anyMatch(e -> String.valueOf(e.getMessage()).contains(
                "cassandra.useServerSession=true but this James server has no Cassandra session")
                && String.valueOf(e.getMessage()).contains("set cassandra.useServerSession=auto or false"));
    }

    /** James's conf/cassandra.properties as the distributed app reads it, for the shared node. */
    static Map<String, String> jamesCassandraProperties(String keyspace, int replicationFactor) {
        return jamesCassandraProperties(CassandraNode.DEFAULT_PORT, keyspace, replicationFactor);
    }

    static Map<String, String> jamesCassandraProperties(int port, String keyspace, int replicationFactor) {
        return Map.of("cassandra.properties", "cassandra.nodes=127.0.0.1:" + port + "\n"
                + "cassandra.keyspace=" + keyspace + "\n"
                + "cassandra.replication.factor=" + replicationFactor + "\n"
                + "cassandra.local.dc=datacenter1\n"
                + "cassandra.retryConnection.maxRetries=10\n"
                + "cassandra.retryConnection.minDelay=1000\n");
    }

    static String keyspaceName(String what) {
        return "t_srvsess_" + what + "_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    private static Set<String> sessionIds() throws Exception {
        return new HashSet<>(CqlClients.sessionsOfThisJvm(CASSANDRA.session(), CassandraNode.DEFAULT_PORT).keySet());
    }

    /** Sessions of this JVM on the node that were not there before ({@code CLIENT_ID -> connections}). */
    private static Map<String, Integer> newSessions(Set<String> before) throws Exception {
        Map<String, Integer> now = CqlClients.sessionsOfThisJvm(CASSANDRA.session(), CassandraNode.DEFAULT_PORT);
        now.keySet().removeAll(before);
        return now;
    }

    static Map<String, String> replication(String keyspace) {
        Row r = CASSANDRA.session().execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = '"
                + keyspace + "'").one();
        assertThat(r).as("keyspace %s exists", keyspace).isNotNull();
        return r.getMap("replication", String.class, String.class);
    }

    static List<String> tables(String keyspace) {
        return CASSANDRA.session().execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = '"
                + keyspace + "'").all().stream().map(r -> r.getString("table_name")).collect(Collectors.toList());
    }
}
