package dev.jamesmtasts.james;

import java.io.FileNotFoundException;
import java.net.InetSocketAddress;
import java.util.Set;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.backends.cassandra.components.CassandraModule;
import org.apache.james.backends.cassandra.init.CassandraZonedDateTimeModule;
import org.apache.james.backends.cassandra.init.KeyspaceFactory;
import org.apache.james.backends.cassandra.init.SessionWithInitializedTablesFactory;
import org.apache.james.backends.cassandra.init.configuration.ClusterConfiguration;
import org.apache.james.backends.cassandra.init.configuration.KeyspaceConfiguration;
import org.apache.james.backends.cassandra.utils.CassandraHealthCheck;
import org.apache.james.backends.cassandra.versions.CassandraSchemaVersionModule;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.utils.GuiceProbe;
import org.apache.james.utils.PropertiesProvider;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;

/**
 * A SERVER module giving the in-process memory James the {@code CqlSession} binding of the distributed
 * app, wired from James 3.8.1's own classes ({@code apache-james-backends-cassandra}) the way
 * {@code org.apache.james.modules.mailbox.CassandraSessionModule} (server/container/guice/cassandra, tag
 * james-project-3.8.1) wires them; that module's jar, {@code james-server-guice-cassandra}, drags in the
 * whole Cassandra mailbox and is not used here. Same as there:
 * <ul>
 *   <li>{@code CqlSession} is bound, unscoped, to the provider {@link SessionWithInitializedTablesFactory}
 *       (a singleton), built over the cluster session ({@link InitializedCluster}), which is bound to James's
 *       main keyspace ({@code withKeyspace}) after creating it with SimpleStrategy and
 *       {@code cassandra.replication.factor};</li>
 *   <li>the {@code CassandraModule} set holds James's schema-version table and zoned-date-time type, which
 *       the factory creates in that keyspace;</li>
 *   <li>{@link ClusterConfiguration} comes from {@code conf/cassandra.properties} ({@code cassandra.nodes},
 *       {@code cassandra.local.dc}, ...), the main {@link KeyspaceConfiguration} from its
 *       {@code cassandra.keyspace} (default {@code apache_james}) and {@code cassandra.replication.factor}
 *       (default 1), as {@code KeyspacesConfiguration.mainKeyspaceConfiguration()} does;</li>
 *   <li>{@link CassandraHealthCheck} joins James's health checks.</li>
 * </ul>
 * Not reproduced: the batch sizes, the schema-version start-up check and the Cassandra cache keyspace
 * (mailbox concerns). {@link SessionProbe} hands James's session to the test.
 */
public class JamesCassandraSessionModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(InitializedCluster.class).in(Scopes.SINGLETON);
        bind(CqlSession.class).toProvider(SessionWithInitializedTablesFactory.class);

        Multibinder<CassandraModule> definitions = Multibinder.newSetBinder(binder(), CassandraModule.class);
        definitions.addBinding().toInstance(CassandraZonedDateTimeModule.MODULE);
        definitions.addBinding().toInstance(CassandraSchemaVersionModule.MODULE);

        Multibinder.newSetBinder(binder(), HealthCheck.class).addBinding().to(CassandraHealthCheck.class);
        Multibinder.newSetBinder(binder(), GuiceProbe.class).addBinding().to(SessionProbe.class);
    }

    @Provides
    @Singleton
    SessionWithInitializedTablesFactory sessionFactory(InitializedCluster cluster, CassandraModule module) {
        return new SessionWithInitializedTablesFactory(cluster.session, module);
    }

    @Provides
    @Singleton
    CassandraModule definitions(Set<CassandraModule> modules) {
        return CassandraModule.aggregateModules(modules);
    }

    @Provides
    @Singleton
    ClusterConfiguration clusterConfiguration(PropertiesProvider properties) throws ConfigurationException {
        return ClusterConfiguration.from(cassandraProperties(properties));
    }

    @Provides
    @Singleton
    KeyspaceConfiguration mainKeyspace(PropertiesProvider properties) throws ConfigurationException {
        Configuration c = cassandraProperties(properties);
        return KeyspaceConfiguration.builder()
                .keyspace(c.getString("cassandra.keyspace", "apache_james"))
                .replicationFactor(c.getInt("cassandra.replication.factor", 1))
                .durableWrites(true);
    }

    private static Configuration cassandraProperties(PropertiesProvider properties) throws ConfigurationException {
        try {
            return properties.getConfiguration("cassandra");
        } catch (FileNotFoundException e) {
            throw new IllegalStateException("the test James needs conf/cassandra.properties", e);
        }
    }

    /**
     * The distributed app's {@code InitializedCluster}: the cluster session, and James's keyspace when
     * cassandra.keyspace.create is set. The session is opened as James's {@code ClusterFactory.create} opens
     * it for {@code ResilientClusterProvider} (contact points, credentials and local datacenter from
     * {@link ClusterConfiguration}, the driver's default configuration, James's keyspace created first by
     * {@link KeyspaceFactory} over a throw-away session, then the session bound to it with
     * {@code withKeyspace}) except for its contact check {@code SELECT dateof(now()) FROM system.local}:
     * {@code dateof} is gone from Cassandra 5.0 (the node of these tests), so James 3.8.1's
     * {@code ResilientClusterProvider} cannot connect to it at all (seen here: "Unknown function 'dateof'",
     * retries exhausted; James 3.8.1 runs on Cassandra 4.x). The check here is
     * {@link CassandraHealthCheck}'s {@code SELECT now() FROM system.local}. Failed attempts are retried
     * as {@code ResilientClusterProvider} retries them ({@code cassandra.retryConnection.*}).
     */
    static final class InitializedCluster {
        final CqlSession session;

        @Inject
        InitializedCluster(ClusterConfiguration cluster, KeyspaceConfiguration keyspace) throws InterruptedException {
            // ResilientClusterProvider: up to cassandra.retryConnection.maxRetries more attempts, minDelay apart
            CqlSession s = null;
            for (int attempt = 0; s == null; attempt++) {
                try {
                    s = open(cluster, keyspace);
                } catch (RuntimeException e) {
                    if (attempt >= cluster.getMaxRetry()) {
                        throw e;
                    }
                    Thread.sleep(cluster.getMinDelay());
                }
            }
            this.session = s;
        }

        private static CqlSession open(ClusterConfiguration cluster, KeyspaceConfiguration keyspace) {
            try (CqlSession first = builder(cluster).build()) {
                KeyspaceFactory.createKeyspace(keyspace, first).block();
            }
            CqlSession s = builder(cluster).withKeyspace(keyspace.getKeyspace()).build();
            try {
                s.execute("SELECT now() FROM system.local");
                if (cluster.shouldCreateKeyspace()) {
                    KeyspaceFactory.createKeyspace(keyspace, s).block();
                }
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            return s;
        }

        private static CqlSessionBuilder builder(ClusterConfiguration cluster) {
            CqlSessionBuilder b = CqlSession.builder();
            cluster.getHosts().forEach(h -> b.addContactPoint(InetSocketAddress.createUnresolved(h.getHostName(), h.getPort())));
            cluster.getUsername().ifPresent(u -> cluster.getPassword().ifPresent(p -> b.withAuthCredentials(u, p)));
            b.withLocalDatacenter(cluster.getLocalDC().orElse("datacenter1"));
            return b;
        }
    }

    /** James's {@code CqlSession}, as the server injector provides it to anyone (the extension included). */
    public static final class SessionProbe implements GuiceProbe {
        private final CqlSession session;

        @Inject
        SessionProbe(CqlSession session) {
            this.session = session;
        }

        public CqlSession session() {
            return session;
        }
    }
}
