package dev.jamesmtasts.testing;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

/**
 * JUnit 5 extension giving tests a real Cassandra node. It reuses a node already listening on
 * 127.0.0.1:9042 (e.g. started once by CI or another test run), else starts one with
 * {@code bin/cassandra start} once per JVM and stops it in a shutdown hook (only if this JVM started it).
 *
 * <p>Use as {@code @RegisterExtension static final CassandraExtension CASSANDRA = new CassandraExtension();}:
 * {@link #session()} is shared by the JVM, {@link #keyspace()} is a fresh keyspace for the test class
 * (created before all its tests, dropped after).
 */
public final class CassandraExtension implements BeforeAllCallback, AfterAllCallback {
    private static CqlSession session;
    private static boolean startedHere;

    private String keyspace;

    /** The JVM-wide session to the node on 9042 (starting the node if needed). */
    public static synchronized CqlSession sharedSession() {
        if (session == null) {
            CassandraNode node = CassandraNode.shared();
            if (!node.listening()) {
                node.start();
                startedHere = true;
            }
            session = node.newSession();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    session.close();
                } catch (RuntimeException ignored) {
                    // shutting down anyway
                }
                if (startedHere) {
                    node.stop();
                }
            }, "cassandra-extension-shutdown"));
        }
        return session;
    }

    /** True when this JVM started the shared node (so a test may restart it). */
    public static synchronized boolean startedByThisJvm() {
        return startedHere;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String name = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        keyspace = createKeyspace(name);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (keyspace != null) {
            dropKeyspace(keyspace);
        }
    }

    public CqlSession session() {
        return sharedSession();
    }

    /** This test class's keyspace (fresh, SimpleStrategy RF 1). */
    public String keyspace() {
        return keyspace;
    }

    /** Creates another fresh keyspace, e.g. one per test method; dropped by the caller (or left to die with the node). */
    public String createKeyspace(String prefix) {
        String p = prefix.length() > 30 ? prefix.substring(0, 30) : prefix;
        String ks = ("t_" + p + "_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36))
                .toLowerCase(Locale.ROOT);
        sharedSession().execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS " + ks
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                .setTimeout(java.time.Duration.ofSeconds(60)));
        return ks;
    }

    public void dropKeyspace(String ks) {
        try {
            sharedSession().execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + ks)
                    .setTimeout(java.time.Duration.ofSeconds(60)));
        } catch (RuntimeException e) {
            // best effort: a leftover test keyspace is harmless
        }
    }
}
