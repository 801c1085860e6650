package dev.jamesmtasts.james;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.cache.PolicyRefresher;
import dev.jamesmtasts.cache.RefreshReport;
import dev.jamesmtasts.cache.RoundSummary;
import dev.jamesmtasts.cache.StoreStatus;
import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.reporting.ReportScheduler;
import dev.jamesmtasts.reporting.ReportStore;
import dev.jamesmtasts.reporting.ResultRecorder;
import dev.jamesmtasts.tlsrpt.ResultSink;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;

/**
 * The real backend: {@link PolicyCache} over Cassandra, fed by {@link MtaStsResolver}, kept fresh by
 * a {@link PolicyRefresher}.
 *
 * <p>Session: James's own {@code CqlSession} when the server binds one (the distributed app) and
 * {@code cassandra.useServerSession} is {@code auto} or {@code true}; otherwise one opened from
 * {@code cassandra.contactPoints}/{@code cassandra.localDatacenter} and closed at stop (James's is never
 * closed here: James closes it). Either way the tables live in {@code cassandra.keyspace}, created with
 * {@code cassandra.replicationFactor}: James's session is bound to James's own keyspace, which is why every
 * statement of the store names its keyspace. Metrics go to
 * James's Dropwizard {@code MetricRegistry} when bound, so they appear on JMX and WebAdmin
 * {@code /metrics} next to James's own.
 *
 * <p>Until {@link #start()} has run, the provider answers ERROR: a mail dequeued in that short window
 * is deferred, never delivered without its policy.
 *
 * <p>The store is optional at run time: {@link #start()} tries Cassandra once and, when it does not
 * answer, starts anyway; a {@link StoreWatch} then connects in the background with capped back-off and
 * keeps probing it afterwards. Meanwhile the cache works from memory and live lookups or defers, as
 * {@code cache.onStoreOutage} says; {@link #storeStatus()} feeds the health check, the MBean and the
 * {@code mtasts.store.available} gauge. The refresher starts once the store is connected.
 *
 * <p>TLS-RPT (RFC 8460), when {@code tlsrpt.enabled=true}: the result store ({@link ReportStore}) lives in
 * the same keyspace on the same session and is connected by the same watch (a store not reachable at
 * start is connected later; the recorder counts in memory meanwhile). The recorder ({@link #resultSink()})
 * exists from construction, since the mailet may be built before the start; its flush thread and the
 * {@link ReportScheduler} run between {@link #start()} and {@link #stop()}; the stop flushes what is left.
 */
final class CassandraBackend implements MtaStsBackend {
    private static final Logger LOGGER = LoggerFactory.getLogger(CassandraBackend.class);
    private static final CacheResult NOT_STARTED = CacheResult.error("the MTA-STS policy cache is not started yet");

    private final MtaStsConfiguration conf;
    private final Injector injector;
    private final MetricRegistry registry;
    private volatile PolicyCache cache;
    private CqlSession ownSession;
    private MtaStsResolver resolver;
    private PolicyRefresher refresher;
    private StoreWatch watch;
    /** James's session when it has one and may be used; null: open our own. */
    private CqlSession serverSession;
    private String node;
    private boolean stopped;
    /** TLS-RPT: null when tlsrpt.enabled=false. */
    private final ReportStore reportStore;
    private volatile ResultRecorder recorder;
    private TlsRptDelivery reportDelivery;
    private volatile TlsRptReporting tlsRpt;

    CassandraBackend(MtaStsConfiguration conf, Injector injector) {
        this.conf = conf;
        this.injector = injector;
        this.registry = existing(injector, MetricRegistry.class).orElseGet(MetricRegistry::new);
        TlsRptSettings t = conf.tlsRptSettings();
        this.reportStore = t.enabled() ? ReportStore.unconnected(conf.cacheSettings()) : null;
        this.recorder = t.enabled() ? new ResultRecorder(reportStore, t, Clock.systemUTC()) : null;
    }

    /**
     * This node's {@link ResultRecorder} when TLS-RPT is enabled (the one bound for the listener; a
     * restart after {@link #stop()} brings a new one, which the listener does not see: James never
     * restarts an extension), else {@link ResultSink#NONE}.
     */
    @Override
    public ResultSink resultSink() {
        ResultRecorder r = recorder;
        return r == null ? ResultSink.NONE : r;
    }

    @Override
    public Optional<TlsRptReporting> tlsRpt() {
        return Optional.ofNullable(tlsRpt);
    }

    @Override
    public Optional<DomainCheck.Sources> checkSources() {
        PolicyCache c;
        MtaStsResolver r;
        synchronized (this) {
            c = cache;
            r = resolver;
        }
        if (c == null || r == null) {
            return Optional.empty();
        }
        String where = "this node's policy store (keyspace " + conf.cacheSettings().keyspace() + ")";
        return Optional.of(new DomainCheck.Sources(r, new DomainCheck.StoredRows() {
            @Override
            public Optional<dev.jamesmtasts.cache.StoredPolicy> read(String domain) {
                return c.show(domain);
            }

            @Override
            public String where() {
                return where;
            }
        }, conf.cacheSettings().backoff()));
    }

    private final PolicyProvider provider = domain -> {
        PolicyCache c = cache;
        return c == null ? NOT_STARTED : c.get(domain);
    };

    private final PolicyCacheAdmin admin = new Admin();

    @Override
    public PolicyProvider provider() {
        return provider;
    }

    @Override
    public PolicyCacheAdmin admin() {
        return admin;
    }

    @Override
    public void start() {
        PolicyCache c;
        synchronized (this) {
            if (cache != null) {
                return;
            }
            stopped = false;
            node = nodeId();
            try {
                // configuration errors (useServerSession=true on a server without Cassandra, a bad trust
                // store) still fail James's start; an unreachable Cassandra does not
                serverSession = serverSession().orElse(null);
                resolver = new MtaStsResolver(conf.resolverSettings());
                c = PolicyCache.unconnected(resolver, conf.cacheSettings(), Clock.systemUTC(), registry, node);
                if (reportStore != null) {
                    startTlsRpt();
                }
            } catch (RuntimeException e) {
                stop();
                throw e;
            }
            cache = c;
        }
        // one attempt now, so that a healthy start begins with the store connected; then the watch
        connectOnce(c);
        StoreWatch w = new StoreWatch(c, () -> c.storeConnected() && (reportStore == null || reportStore.connected()),
                () -> connectOnce(c));
        synchronized (this) {
            if (stopped) {
                return;
            }
            watch = w;
            w.start();
        }
        LOGGER.info("MTA-STS policy cache started: keyspace {}, session {}, node {}, refresher {}, store {}",
                conf.cacheSettings().keyspace(), serverSession != null ? "shared with James" : "own " + conf.cassandraContactPoints(),
                node, conf.refresherEnabled() ? "every " + conf.cacheSettings().refreshInterval() : "off",
                c.storeStatus().reading());
    }

    /** One attempt to connect the store (and then start the refresher); false when Cassandra did not answer. */
    private boolean connectOnce(PolicyCache c) {
        try {
            c.connectStore(this::session);
        } catch (RuntimeException e) {
            LOGGER.debug("MTA-STS policy store connection attempt failed", e);
            return false;
        }
        if (reportStore != null && !reportStore.connected()) {
            try {
                reportStore.connect(session()); // same session and keyspace; creates the TLS-RPT tables
            } catch (RuntimeException e) {
                LOGGER.warn("TLS-RPT result store not connected yet ({}); results are kept in memory meanwhile",
                        dev.jamesmtasts.mtasts.SafeText.of(String.valueOf(e.getMessage())));
                return false;
            }
        }
        synchronized (this) {
            if (!stopped && refresher == null && conf.refresherEnabled()) {
                refresher = c.newRefresher(node);
                refresher.start();
            }
        }
        return true;
    }

    /** James's session, or our own, opened on first use and kept (the driver reconnects it by itself). */
    private CqlSession session() {
        synchronized (this) {
            if (serverSession != null) {
                return serverSession;
            }
            if (ownSession != null) {
                return ownSession;
            }
        }
        CqlSession s = openSession(); // not under the lock: it may take the driver's connect time-out
        synchronized (this) {
            if (stopped) {
                s.close();
                throw new IllegalStateException("stopped");
            }
            ownSession = s;
            return s;
        }
    }

    /** The policy store's availability (health check, MBean); "connecting" before start. */
    @Override
    public StoreStatus storeStatus() {
        PolicyCache c = cache;
        return c == null ? NOT_STARTED_STATUS : c.storeStatus();
    }

    private static final StoreStatus NOT_STARTED_STATUS = StoreStatus.connecting();

    @Override
    public void stop() {
        StoreWatch w;
        synchronized (this) {
            stopped = true;
            w = watch;
            watch = null;
        }
        if (w != null) {
            w.close(); // outside the lock: its thread may be waiting for it
        }
        stopLocked();
    }

    private synchronized void stopLocked() {
        PolicyCache c = cache;
        cache = null;
        stopTlsRpt(); // before the session closes: the recorder's last flush writes to it
        serverSession = null;
        if (refresher != null) {
            refresher.close();
            refresher = null;
        }
        if (c != null) {
            c.close();
        }
        if (resolver != null) {
            resolver.close();
            resolver = null;
        }
        if (ownSession != null) {
            ownSession.close();
            ownSession = null;
        }
    }

    /**
     * Starts the recorder's flush thread and the report scheduler (RFC 8460 §4.1: one report per policy
     * domain and day, claimed in the store so one node sends it). The scheduler's node id is the
     * recorder's run id: one name for this node in result rows and in claims.
     */
    private void startTlsRpt() {
        TlsRptSettings t = conf.tlsRptSettings();
        ResultRecorder r = recorder;
        if (r == null) {
            r = new ResultRecorder(reportStore, t, Clock.systemUTC()); // after a stop: a new one
            recorder = r;
        }
        r.start();
        reportDelivery = new TlsRptDelivery(t, conf.resolverSettings(),
                () -> existing(injector, org.apache.mailet.MailetContext.class).orElse(null));
        ReportScheduler s = new ReportScheduler(reportStore, new TlsRptDestinations(resolver), reportDelivery, t,
                Clock.systemUTC(), r.runId()).start();
        tlsRpt = new TlsRptReporting(reportStore, r, s);
        LOGGER.info("TLS-RPT reporting started: organization {}, submitter {}, node {}", t.organizationName(),
                t.submitter(), r.runId());
    }

    /** Stops the scheduler, flushes and closes the recorder (what it cannot write now is lost: logged). */
    private void stopTlsRpt() {
        TlsRptReporting t = tlsRpt;
        tlsRpt = null;
        if (t != null) {
            t.scheduler().close();
        }
        ResultRecorder r = recorder;
        if (r != null && t != null) {
            r.close();
            recorder = null;
        }
        if (reportDelivery != null) {
            reportDelivery.close();
            reportDelivery = null;
        }
    }

    private Optional<CqlSession> serverSession() {
        if (conf.cassandraSessionSource() == MtaStsConfiguration.SessionSource.OWN) {
            return Optional.empty();
        }
        Optional<CqlSession> s = existing(injector, CqlSession.class);
        if (s.isEmpty() && conf.cassandraSessionSource() == MtaStsConfiguration.SessionSource.JAMES) {
            throw new IllegalStateException("cassandra.useServerSession=true but this James server has no Cassandra "
                    + "session (memory server?): set cassandra.useServerSession=auto or false and configure "
                    + "cassandra.contactPoints");
        }
        return s;
    }

    private CqlSession openSession() {
        List<InetSocketAddress> points = conf.cassandraContactPoints();
        DriverConfigLoader loader = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(10))
                .build();
        CqlSessionBuilder b = CqlSession.builder().withConfigLoader(loader)
                .withLocalDatacenter(conf.cassandraLocalDatacenter());
        for (InetSocketAddress p : points) {
            b.addContactPoint(p);
        }
        try {
            return b.build();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot reach Cassandra at " + points + " (cassandra.contactPoints, "
                    + "datacenter " + conf.cassandraLocalDatacenter() + " from cassandra.localDatacenter): "
                    + e.getMessage() + ". Start it (bin/cassandra start) or fix conf/mta-sts.properties", e);
        }
    }

    /**
     * This node's name in the refresher's leases: the JVM (pid@host) plus a random part drawn at each start,
     * since a lease owner must name one running cache. Two James servers in one JVM (tests, an embedding)
     * with the same name would each take the other's leases for their own and refresh the same domains.
     */
    private static String nodeId() {
        return "james-" + ManagementFactory.getRuntimeMXBean().getName() + "-"
                + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 32, 1L << 40), 36);
    }

    private static <T> Optional<T> existing(Injector injector, Class<T> type) {
        Binding<T> b = injector.getExistingBinding(Key.get(type));
        return b == null ? Optional.empty() : Optional.of(b.getProvider().get());
    }

    private PolicyCache started() {
        PolicyCache c = cache;
        if (c == null) {
            throw new IllegalStateException("the MTA-STS policy cache is not started");
        }
        return c;
    }

    /** The administration view used by the MBean and {@code mta-sts jmx}. */
    private final class Admin implements PolicyCacheAdmin {
        @Override
        public List<Map<String, Object>> list(String afterDomain, int limit) {
            return started().listAfter(afterDomain, limit).stream().map(r -> StoredPolicyView.of(r, false))
                    .collect(Collectors.toList());
        }

        @Override
        public Map<String, Object> show(String domain) {
            return started().show(domain).map(r -> StoredPolicyView.of(r, true)).orElse(Map.of());
        }

        @Override
        public Map<String, Object> refresh(String domain) {
            RefreshReport report = started().refresh(domain);
            Map<String, Object> m = new LinkedHashMap<>(show(domain));
            m.put(RESULT, report.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": " + report.detail());
            return m;
        }

        @Override
        public boolean evict(String domain) {
            return started().evict(domain);
        }

        @Override
        public Map<String, String> runRefreshRound() {
            RoundSummary s = started().runRefreshRound();
            Map<String, String> m = new LinkedHashMap<>();
            s.outcomes().forEach((o, n) -> m.put(o.name().toLowerCase(java.util.Locale.ROOT), Long.toString(n)));
            m.put("rowsDue", Long.toString(s.rowsDue()));
            m.put("indexRowsRead", Long.toString(s.indexRowsRead()));
            m.put("errors", Long.toString(s.errors()));
            m.put("complete", Boolean.toString(s.complete()));
            m.put("durationMillis", Long.toString(s.durationMillis()));
            return m;
        }

        @Override
        public Map<String, Long> counters() {
            Map<String, Long> m = new LinkedHashMap<>();
            SortedMap<String, Counter> counters = registry.getCounters((name, metric) -> name.startsWith("mtasts."));
            counters.forEach((name, c) -> m.put(name.substring("mtasts.".length()), c.getCount()));
            return m;
        }
    }
}
