package dev.jamesmtasts.reporting;

import static dev.jamesmtasts.reporting.Results.failed;
import static dev.jamesmtasts.reporting.Results.ok;
import static dev.jamesmtasts.reporting.Results.sts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.reporting.Results.TestClock;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.TcpProxy;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Recording TLS-RPT results (RFC 8460 §4.4 summary and failure-details) against the real Cassandra
 * node: exact totals under concurrency, two nodes merged into one report, idempotent re-flushes, caps,
 * retention TTL, and a store outage during flushes that loses nothing.
 */
class ResultRecorderTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private TestClock clock;
    private LocalDate day;
    private String suffix;

    @BeforeEach
    void setUp() {
        // midday of the real current UTC day: TTLs are counted by Cassandra in real time
        day = ReportId.day(Instant.now());
        clock = new TestClock(ReportId.start(day).plus(Duration.ofHours(12)));
        suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    private CacheSettings cacheSettings() {
        return CacheSettings.builder().keyspace(CASSANDRA.keyspace()).build();
    }

    private ReportStore store() {
        return ReportStore.create(CASSANDRA.session(), cacheSettings());
    }

    private String domain(int i) {
        return "r" + i + "-" + suffix + ".example";
    }

    private static TlsReport.PolicyResults only(List<TlsReport.PolicyResults> r) {
        assertThat(r).hasSize(1);
        return r.get(0);
    }

    @Test
    void manyThreadsRecordingGiveExactTotalsAfterFlush() throws Exception {
        ReportStore store = store();
        int threads = 8;
        int perThread = 25_000;
        int domains = 5;
        try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    Instant now = clock.instant();
                    for (int i = 0; i < perThread; i++) {
                        AppliedPolicy p = sts(domain(i % domains));
                        // per domain, every 10th result of it is a starttls-not-supported, the next one a
                        // certificate-expired, the other 8 successes
                        int k = (i / domains) % 10;
                        rec.record(now, k == 0 ? failed(p, ResultType.STARTTLS_NOT_SUPPORTED)
                                : k == 1 ? failed(p, ResultType.CERTIFICATE_EXPIRED) : ok(p));
                        if (i % 5000 == 0) {
                            rec.flush(); // flushes racing with recording lose nothing
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            ResultRecorder.FlushResult r = rec.flush();
            assertThat(r.failed()).isZero();
            assertThat(rec.recorded()).isEqualTo((long) threads * perThread);
            assertThat(rec.dropped()).isZero();
        }
        long perDomain = (long) threads * perThread / domains; // perThread is a multiple of 10 * domains
        for (int d = 0; d < domains; d++) {
            TlsReport.PolicyResults p = only(store.results(day, domain(d)));
            assertThat(p.policy()).isEqualTo(sts(domain(d)));
            assertThat(p.successfulSessions()).isEqualTo(perDomain * 8 / 10);
            assertThat(p.failedSessions()).isEqualTo(perDomain * 2 / 10);
            assertThat(p.failures()).containsOnly(
                    Map.entry(Results.detail(ResultType.STARTTLS_NOT_SUPPORTED, "mx." + domain(d)), perDomain / 10),
                    Map.entry(Results.detail(ResultType.CERTIFICATE_EXPIRED, "mx." + domain(d)), perDomain / 10));
        }
        assertThat(store.domainsWithResults(day)).contains(domain(0), domain(1), domain(2), domain(3), domain(4));
    }

    @Test
    void twoNodesOnOneStoreGiveOneReportWithSummedCounts() {
        String d = domain(0);
        AppliedPolicy p = sts(d);
        AppliedPolicy none = AppliedPolicy.none(d);
        // two "James nodes": each its own driver session and store instance
        try (CqlSession second = dev.jamesmtasts.testing.CassandraNode.shared().newSession()) {
            ReportStore storeA = store();
            ReportStore storeB = ReportStore.create(second, cacheSettings());
            try (ResultRecorder a = new ResultRecorder(storeA, TlsRptSettings.defaults(), clock);
                 ResultRecorder b = new ResultRecorder(storeB, TlsRptSettings.defaults(), clock)) {
                assertThat(a.runId()).isNotEqualTo(b.runId());
                Instant now = clock.instant();
                for (int i = 0; i < 7; i++) {
                    a.record(now, ok(p));
                }
                for (int i = 0; i < 5; i++) {
                    b.record(now, ok(p));
                }
                a.record(now, failed(p, ResultType.CERTIFICATE_HOST_MISMATCH));
                b.record(now, failed(p, ResultType.CERTIFICATE_HOST_MISMATCH));
                b.record(now, failed(p, ResultType.VALIDATION_FAILURE));
                a.record(now, ok(none));
                b.record(now, ok(none));
                assertThat(a.flush().failed()).isZero();
                assertThat(b.flush().failed()).isZero();
            }
            TlsReport report = storeB.report(day, d, "Org", "mailto:tlsrpt@org.example", "org.example").orElseThrow();
            assertThat(report.reportId()).isEqualTo(day.toString().replace("-", "") + "." + d + "@org.example");
            assertThat(report.start()).isEqualTo(ReportId.start(day));
            assertThat(report.end()).isEqualTo(ReportId.start(day.plusDays(1)).minusSeconds(1));
            assertThat(report.organizationName()).isEqualTo("Org");
            assertThat(report.contactInfo()).isEqualTo("mailto:tlsrpt@org.example");
            assertThat(report.policies()).hasSize(2);
            TlsReport.PolicyResults stsResults = report.policies().get(0);
            assertThat(stsResults.policy()).isEqualTo(p);
            assertThat(stsResults.successfulSessions()).isEqualTo(12);
            assertThat(stsResults.failedSessions()).isEqualTo(3);
            List<Map.Entry<FailureDetail, Long>> details = new ArrayList<>(stsResults.failures().entrySet());
            // by falling count: the mismatch (2, one per node) first
            assertThat(details.get(0)).isEqualTo(Map.entry(Results.detail(ResultType.CERTIFICATE_HOST_MISMATCH, "mx." + d), 2L));
            assertThat(details.get(1)).isEqualTo(Map.entry(Results.detail(ResultType.VALIDATION_FAILURE, "mx." + d), 1L));
            TlsReport.PolicyResults noPolicy = report.policies().get(1);
            assertThat(noPolicy.policy()).isEqualTo(none);
            assertThat(noPolicy.successfulSessions()).isEqualTo(2);
            assertThat(noPolicy.failedSessions()).isZero();
            assertThat(noPolicy.failures()).isEmpty();
        }
    }

    @Test
    void aRepeatedFlushOfTheSameTotalsCountsNothingTwice() {
        ReportStore store = store();
        String d = domain(0);
        AppliedPolicy p = sts(d);
        try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
            Instant now = clock.instant();
            for (int i = 0; i < 10; i++) {
                rec.record(now, ok(p));
            }
            rec.record(now, failed(p, ResultType.CERTIFICATE_NOT_TRUSTED));
            assertThat(rec.flush().written()).isEqualTo(3); // index, summary, one failure
            assertThat(rec.flush().written()).isZero();       // nothing changed: nothing written
            // the writes reached the store but their answers were lost: the next flush repeats them all
            rec.markAllUnwritten();
            assertThat(rec.flush().written()).isEqualTo(3);
            rec.markAllUnwritten();
            assertThat(rec.flush().written()).isEqualTo(3);
            TlsReport.PolicyResults r = only(store.results(day, d));
            assertThat(r.successfulSessions()).isEqualTo(10);
            assertThat(r.failedSessions()).isEqualTo(1);
            // more results: the run's row is overwritten with its new absolute total
            rec.record(now, ok(p));
            assertThat(rec.flush().written()).isEqualTo(1);
            assertThat(only(store.results(day, d)).successfulSessions()).isEqualTo(11);
        }
    }

    @Test
    void beyondTheCapsResultsAreDroppedAndCountedNeverThrown() {
        ReportStore store = store();
        TlsRptSettings s = TlsRptSettings.builder().maxKeys(4).maxKeysPerDomain(2).build();
        try (ResultRecorder rec = new ResultRecorder(store, s, clock)) {
            Instant now = clock.instant();
            AppliedPolicy a = sts(domain(0));
            rec.record(now, ok(a));                                           // key 1 (a's policy), a: 1
            rec.record(now, failed(a, ResultType.CERTIFICATE_EXPIRED));       // key 2, a: 2
            rec.record(now, failed(a, ResultType.CERTIFICATE_NOT_TRUSTED));   // a is full: dropped
            rec.record(now, failed(a, ResultType.CERTIFICATE_EXPIRED));       // existing key: counted
            rec.record(now, ok(sts(domain(1))));                               // key 3
            rec.record(now, ok(sts(domain(2))));                               // key 4
            rec.record(now, ok(sts(domain(3))));                               // all full: dropped
            rec.record(now.minus(Duration.ofDays(3)), ok(a));                 // day out of the window: dropped
            assertThat(rec.recorded()).isEqualTo(5);
            assertThat(rec.dropped()).isEqualTo(3);
            assertThat(rec.counters()).isEqualTo(4);
            assertThat(rec.flush().failed()).isZero();
        }
        TlsReport.PolicyResults r = only(store.results(day, domain(0)));
        assertThat(r.successfulSessions()).isEqualTo(1);
        assertThat(r.failedSessions()).isEqualTo(2);
        assertThat(store.results(day, domain(3))).isEmpty();
    }

    @Test
    void resultRowsExpireRetentionAfterTheEndOfTheirDay() {
        ReportStore store = store();
        Duration retention = Duration.ofDays(3);
        String d = domain(0);
        try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.builder().retentionDays((int) retention.toDays()).build(), clock)) {
            rec.record(clock.instant(), ok(sts(d)));
            assertThat(rec.flush().failed()).isZero();
        }
        // written at 12:00 of the day: 12 h left in the day, then the retention
        long expected = Duration.ofHours(12).plus(retention).getSeconds();
        int ttl = store.resultTtl(day, d).orElseThrow();
        assertThat((long) ttl).isBetween(expected - 120, expected);
        assertThat(ReportStore.ttlSeconds(day, ReportId.start(day.plusDays(1)).plus(retention), retention)).isZero();
    }

    @Test
    void aStoreOutageDuringFlushesLosesNothingOnceTheStoreIsBack() throws Exception {
        String d = domain(0);
        AppliedPolicy p = sts(d);
        ReportStore direct = store();
        try (TcpProxy proxy = TcpProxy.toSharedCassandra(); CqlSession viaProxy = proxy.newCassandraSession()) {
            ReportStore store = ReportStore.create(viaProxy,
                    cacheSettings().toBuilder().storeTimeout(Duration.ofSeconds(2)).build());
            try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
                Instant now = clock.instant();
                for (int i = 0; i < 100; i++) {
                    rec.record(now, ok(p));
                }
                assertThat(rec.flush().failed()).isZero();

                proxy.stop(); // Cassandra unreachable for this node
                for (int i = 0; i < 50; i++) {
                    rec.record(now, ok(p));
                    rec.record(now, failed(p, ResultType.STARTTLS_NOT_SUPPORTED));
                }
                ResultRecorder.FlushResult during = rec.flush();
                assertThat(during.failed()).isPositive();
                assertThat(rec.storeOutage()).isTrue();
                assertThat(rec.flush().failed()).isPositive(); // still down: kept, no throw
                rec.record(now, ok(p)); // recording goes on during the outage
                assertThat(only(direct.results(day, d)).successfulSessions()).isEqualTo(100);

                proxy.start(); // back: the driver reconnects, the next flush writes everything
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> rec.flush().failed() == 0);
                assertThat(rec.storeOutage()).isFalse();
            }
        }
        TlsReport.PolicyResults r = only(direct.results(day, d));
        assertThat(r.successfulSessions()).isEqualTo(151);
        assertThat(r.failedSessions()).isEqualTo(50);
    }

    /**
     * The delivery thread never waits for the store: while a flush is stuck on a store that accepts
     * connections and never answers, {@code record} (new keys included) completes without the recording
     * thread ever blocking on a monitor or waiting/parking (its JVM counters do not move), and what it
     * counted meanwhile is written once the store answers. No wall-clock bound is asserted.
     */
    @Test
    void aHungStoreNeverHoldsUpRecording() throws Exception {
        String d = domain(0);
        ReportStore direct = store();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        List<Thread> flushThread = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService flusher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-flush");
            t.setDaemon(true);
            flushThread.add(t);
            return t;
        });
        try (TcpProxy proxy = TcpProxy.toSharedCassandra(); CqlSession viaProxy = proxy.newCassandraSession()) {
            // a long store time-out: the flush stays stuck for the whole recording below
            ReportStore store = ReportStore.create(viaProxy,
                    cacheSettings().toBuilder().storeTimeout(Duration.ofSeconds(60)).build());
            try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
                Instant now = clock.instant();
                // every code path of record() once, before the store hangs (classes loaded, keys made)
                rec.record(now, ok(sts(d)));
                rec.record(now, failed(sts(d), ResultType.STARTTLS_NOT_SUPPORTED));
                assertThat(rec.flush().failed()).isZero();

                proxy.hold(); // the store hangs: connections open, no answer
                rec.record(now, ok(sts(d))); // something for the next flush to write
                Future<ResultRecorder.FlushResult> flushing = flusher.submit(rec::flush);
                // the flush is waiting for its write to the hung store
                await().atMost(Duration.ofSeconds(30)).until(() -> !flushThread.isEmpty()
                        && flushThread.get(0).getState() == Thread.State.TIMED_WAITING
                        && java.util.Arrays.stream(flushThread.get(0).getStackTrace())
                                .anyMatch(f -> f.getClassName().equals(ResultRecorder.class.getName())));

                int n = 20_000;
                List<SessionResult> results = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    AppliedPolicy p = sts(domain(i % 50)); // 49 new domains: new keys while the flush hangs
                    results.add((i / 50) % 10 == 0 ? failed(p, ResultType.CERTIFICATE_EXPIRED) : ok(p));
                }
                long self = Thread.currentThread().getId();
                java.lang.management.ThreadInfo before = threads.getThreadInfo(self);
                long recordedBefore = rec.recorded();
                for (int i = 0; i < n; i++) {
                    rec.record(now, results.get(i));
                }
                java.lang.management.ThreadInfo after = threads.getThreadInfo(self);

                assertThat(flushing.isDone()).as("the flush is still stuck on the hung store").isFalse();
                assertThat(rec.recorded() - recordedBefore).isEqualTo(n);
                assertThat(rec.dropped()).isZero();
                assertThat(after.getBlockedCount() - before.getBlockedCount()).as("monitor blocks while recording").isZero();
                assertThat(after.getWaitedCount() - before.getWaitedCount()).as("waits/parks while recording").isZero();

                proxy.release(); // the store answers again: everything counted meanwhile is written
                flushing.get(90, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> rec.flush().failed() == 0);
            }
        } finally {
            flusher.shutdownNow();
        }
        TlsReport.PolicyResults r0 = only(direct.results(day, d));
        assertThat(r0.successfulSessions()).isEqualTo(2 + 360); // 400 results per domain, 1 in 10 a failure
        assertThat(r0.failedSessions()).isEqualTo(1 + 40);
        TlsReport.PolicyResults r1 = only(direct.results(day, domain(1)));
        assertThat(r1.successfulSessions() + r1.failedSessions()).isEqualTo(20_000 / 50);
    }

    @Test
    void resultsRecordedBeforeTheStoreIsConnectedAreWrittenOnceItIs() {
        String d = domain(0);
        ReportStore store = ReportStore.unconnected(cacheSettings());
        try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
            rec.record(clock.instant(), ok(sts(d)));
            rec.record(clock.instant(), failed(sts(d), ResultType.STS_POLICY_INVALID));
            ResultRecorder.FlushResult r = rec.flush();
            assertThat(r.written()).isZero();
            assertThat(r.failed()).isEqualTo(2);
            assertThat(rec.storeOutage()).isTrue();
            store.connect(CASSANDRA.session());
            assertThat(rec.flush().failed()).isZero();
        }
        TlsReport.PolicyResults r = only(store.results(day, d));
        assertThat(r.successfulSessions()).isEqualTo(1);
        assertThat(r.failedSessions()).isEqualTo(1);
    }

    @Test
    void closeWritesWhatIsPendingAndLaterResultsAreDropped() {
        ReportStore store = store();
        String d = domain(0);
        ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.builder().flushInterval(Duration.ofHours(1)).build(), clock)
                .start();
        rec.record(clock.instant(), ok(sts(d)));
        rec.close();
        rec.record(clock.instant(), ok(sts(d)));
        assertThat(rec.dropped()).isEqualTo(1);
        assertThat(only(store.results(day, d)).successfulSessions()).isEqualTo(1);
    }

    @Test
    void thePeriodicFlushWritesWithoutBeingAsked() {
        ReportStore store = store();
        String d = domain(0);
        try (ResultRecorder rec = new ResultRecorder(store,
                TlsRptSettings.builder().flushInterval(Duration.ofMillis(200)).build(), clock).start()) {
            rec.record(clock.instant(), ok(sts(d)));
            await().atMost(Duration.ofSeconds(30)).until(() -> !store.results(day, d).isEmpty());
            assertThat(only(store.results(day, d)).successfulSessions()).isEqualTo(1);
        }
    }

    @Test
    void aDayOverIsWrittenOnceMoreThenForgotten() {
        ReportStore store = store();
        String d = domain(0);
        try (ResultRecorder rec = new ResultRecorder(store, TlsRptSettings.defaults(), clock)) {
            rec.record(clock.instant(), ok(sts(d)));
            assertThat(rec.counters()).isEqualTo(1);
            clock.advance(Duration.ofDays(2)); // the day is now older than yesterday
            assertThat(rec.flush().failed()).isZero();
            assertThat(rec.counters()).isZero();
            rec.record(ReportId.start(day).plusSeconds(1), ok(sts(d))); // too late for that day
            assertThat(rec.dropped()).isEqualTo(1);
        }
        assertThat(only(store.results(day, d)).successfulSessions()).isEqualTo(1);
    }
}
