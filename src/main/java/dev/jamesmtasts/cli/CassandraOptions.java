package dev.jamesmtasts.cli;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * {@code --cassandra HOST:PORT --keyspace KS --datacenter DC}: where the shared policy cache lives,
 * and opening it with bounded time (the tool must never hang on an unreachable node).
 */
final class CassandraOptions {
    static final int DEFAULT_PORT = 9042;
    static final String DEFAULT_DATACENTER = "datacenter1";
    /** Bound on connecting and on the driver's first queries. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final String USAGE =
              "  --cassandra HOST[:PORT]       Cassandra contact point (port default 9042)\n"
            + "  --keyspace KS                 keyspace of the cache tables (default mta_sts)\n"
            + "  --datacenter DC               the driver's local datacenter (default datacenter1)\n";

    private String contactPoint;
    private InetSocketAddress address;
    private String keyspace;
    private String datacenter = DEFAULT_DATACENTER;

    CassandraOptions(String defaultContactPoint) {
        this.contactPoint = defaultContactPoint;
    }

    /** Consumes the cursor's current option when it is one of these; false otherwise. */
    boolean accept(ArgCursor a) throws UsageException {
        switch (a.current()) {
            case "--cassandra":
                contactPoint = a.value();
                address = ResolverOptions.hostPort(contactPoint, DEFAULT_PORT, "--cassandra");
                return true;
            case "--keyspace":
                keyspace = a.value();
                return true;
            case "--datacenter":
                datacenter = a.value();
                if (datacenter.isEmpty()) {
                    throw new UsageException("--datacenter: empty name");
                }
                return true;
            default:
                return false;
        }
    }

    /** The contact point as given (or the default), null when none: then the cache is not used. */
    String contactPoint() {
        return contactPoint;
    }

    /** True when {@code --keyspace} or {@code --datacenter} was given. */
    boolean tuned() {
        return keyspace != null || !datacenter.equals(DEFAULT_DATACENTER);
    }

    CacheSettings settings() throws UsageException {
        try {
            return keyspace == null ? CacheSettings.defaults() : CacheSettings.builder().keyspace(keyspace).build();
        } catch (SettingException e) {
            // The builder's check, the same one cassandra.keyspace goes through in mta-sts.properties.
            throw new UsageException("--keyspace: " + e.requirement());
        }
    }

    /**
     * Opens a session to the contact point: every connection and request is bounded, and no node in
     * the local datacenter is as unreachable as no node at all.
     */
    CqlSession connect() throws UsageException, CassandraUnreachableException {
        InetSocketAddress to = address != null ? address : ResolverOptions.hostPort(contactPoint, DEFAULT_PORT, "--cassandra");
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withString(DefaultDriverOption.SESSION_NAME, "mta-sts-cli")
                .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, CONNECT_TIMEOUT)
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, CONNECT_TIMEOUT)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, CONNECT_TIMEOUT)
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(10))
                .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
                // netty waits a 2 s quiet period before its event loops end: a short-lived tool need not.
                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
                .build();
        CqlSession session;
        try {
            session = CqlSession.builder()
                    .addContactPoint(to)
                    .withLocalDatacenter(datacenter)
                    .withConfigLoader(config)
                    .build();
        } catch (RuntimeException e) {
            throw new CassandraUnreachableException(contactPoint, e);
        }
        Set<String> datacenters = new TreeSet<>();
        for (Node n : session.getMetadata().getNodes().values()) {
            datacenters.add(String.valueOf(n.getDatacenter()));
        }
        if (!datacenters.contains(datacenter)) {
            session.close();
            throw new CassandraUnreachableException(contactPoint, "no node in datacenter '" + datacenter
                    + "' (the cluster has " + datacenters + "; pass --datacenter)");
        }
        return session;
    }

    /** True when the keyspace of the cache exists (the driver's schema metadata, read at connect). */
    boolean keyspaceExists(CqlSession session, CacheSettings settings) {
        KeyspaceMetadata ks = session.getMetadata().getKeyspace(settings.keyspace()).orElse(null);
        return ks != null && ks.getTable("policies").isPresent();
    }

    /** The cache over an open session (creating the schema if missing: idempotent, as every James node does). */
    PolicyCache cache(CqlSession session, PolicySource source, CacheSettings settings) throws CassandraUnreachableException {
        try {
            return PolicyCache.create(session, source, settings, Clock.systemUTC(), new MetricRegistry(),
                    "mta-sts-cli-" + ProcessHandle.current().pid());
        } catch (StoreException e) {
            throw new CassandraUnreachableException(contactPoint, e);
        }
    }

    /** Cassandra could not be reached or used: exit status 3. */
    static final class CassandraUnreachableException extends Exception {
        private static final long serialVersionUID = 1L;

        CassandraUnreachableException(String contactPoint, Throwable cause) {
            this(contactPoint, describe(cause));
        }

        CassandraUnreachableException(String contactPoint, String why) {
            super("cannot reach Cassandra at " + contactPoint + ": " + why
                    + "\n(is a node running there? for a local node: bin/cassandra start)");
        }

        private static String describe(Throwable e) {
            if (e instanceof AllNodesFailedException) {
                // The driver's own message is a paragraph; the first error of the contact point says enough.
                for (List<Throwable> errors : ((AllNodesFailedException) e).getAllErrors().values()) {
                    if (!errors.isEmpty()) {
                        return "no contact point answered (" + firstLine(errors.get(0)) + ")";
                    }
                }
                return "no contact point answered";
            }
            return firstLine(e);
        }

        private static String firstLine(Throwable e) {
            String m = e.getMessage();
            if (m == null) {
                return e.getClass().getSimpleName();
            }
            int nl = m.indexOf('\n');
            return nl > 0 ? m.substring(0, nl) : m;
        }
    }
}
