package dev.jamesmtasts.reporting;

import static dev.jamesmtasts.reporting.Results.failed;
import static dev.jamesmtasts.reporting.Results.ok;
import static dev.jamesmtasts.reporting.Results.sts;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.reporting.Results.TestClock;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Sending the daily reports (RFC 8460 §4, §5) through the real Cassandra node: one delivery per
 * (day, domain) however many schedulers race, bounded retries of a failing rua then its suppression,
 * a dead node's claim taken over, success-only days, domains without a record. The deliveries go to
 * {@link RecordingDelivery}, a double of this package's {@link ReportDelivery} (the HTTPS and mail
 * transports are tested on their own).
 */
class ReportSchedulerTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private LocalDate day;
    private TestClock clock;
    private String suffix;
    /** A day of its own per test: a pass handles every domain of its day in the store (one keyspace per class). */
    private static final AtomicInteger DAYS_BACK = new AtomicInteger(1);
    private static final Duration RETENTION = Duration.ofDays(40);

    @BeforeEach
    void setUp() {
        // a recent day (real time), so that rows written with RETENTION keep a positive TTL
        day = ReportId.day(Instant.now()).minusDays(DAYS_BACK.getAndIncrement());
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
        return "s" + i + "-" + suffix + ".example";
    }

    private static TlsRptSettings.Builder settings() {
        return TlsRptSettings.builder().retentionDays((int) RETENTION.toDays()).sendDelayMin(Duration.ofMinutes(5)).sendDelayMax(Duration.ofMinutes(30))
                .organizationName("Org").contactInfo("mailto:tlsrpt@org.example").submitter("org.example");
    }

    /**
     * Records, at noon of {@link #day} (whatever the test clock says now), {@code ok} successes and
     * {@code bad} failures for each domain, and flushes.
     */
    private void record(ReportStore store, List<String> domains, int ok, int bad) {
        Instant noon = ReportId.start(day).plus(Duration.ofHours(12));
        TlsRptSettings s = TlsRptSettings.builder().retentionDays((int) RETENTION.toDays()).build();
        try (ResultRecorder rec = new ResultRecorder(store, s, Clock.fixed(noon, ZoneOffset.UTC))) {
            for (String d : domains) {
                for (int i = 0; i < ok; i++) {
                    rec.record(noon, ok(sts(d)));
                }
                for (int i = 0; i < bad; i++) {
                    rec.record(noon, failed(sts(d), ResultType.CERTIFICATE_EXPIRED));
                }
            }
            assertThat(rec.flush().failed()).isZero();
        }
    }

    /** Every domain publishes {@code rua} (one for all: a reporting service). */
    private static ReportDestinations everyDomain(URI... rua) {
        return d -> ReportDestinations.Lookup.found(List.of(rua));
    }

    /** A delivery double: records each call; fails for the URIs in {@code failing}. */
    static final class RecordingDelivery implements ReportDelivery {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Map<String, TlsReport> reports = new ConcurrentHashMap<>();
        final Set<URI> failing = ConcurrentHashMap.newKeySet();

        @Override
        public Result deliver(URI rua, TlsReport report) {
            calls.add(report.reportId() + " -> " + rua);
            reports.put(report.reportId(), report);
            return failing.contains(rua) ? Result.failed("HTTP 503 from " + rua.getHost()) : Result.delivered();
        }

        int callsFor(String reportId) {
            int n = 0;
            for (String c : calls) {
                if (c.startsWith(reportId + " -> ")) {
                    n++;
                }
            }
            return n;
        }
    }

    private static Map<String, SendOutcome.Kind> kinds(List<SendOutcome> outcomes) {
        Map<String, SendOutcome.Kind> m = new ConcurrentHashMap<>();
        for (SendOutcome o : outcomes) {
            m.put(o.policyDomain(), o.kind());
        }
        return m;
    }

    @Test
    void nothingIsSentBeforeTheSendTimeAndEachReportOnceAfterItHoweverManyNodesRace() throws Exception {
        List<String> domains = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            domains.add(domain(i));
        }
        ReportStore shared = store();
        record(shared, domains, 3, 1);
        RecordingDelivery delivery = new RecordingDelivery();
        URI rua = URI.create("https://tlsrpt.reports.example/v1");
        int nodes = 4;
        List<CqlSession> sessions = new ArrayList<>();
        List<ReportScheduler> schedulers = new ArrayList<>();
        try {
            for (int n = 0; n < nodes; n++) {
                // each node its own session and store instance, as separate James nodes
                CqlSession s = CassandraNode.shared().newSession();
                sessions.add(s);
                schedulers.add(new ReportScheduler(ReportStore.create(s, cacheSettings()), everyDomain(rua), delivery,
                        settings().build(), clock, "node-" + n));
            }
            clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(4)));
            for (ReportScheduler s : schedulers) {
                assertThat(s.sendTime(day)).isBetween(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(5)),
                        ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(30)));
                assertThat(s.runDue()).isEmpty(); // before any node's send time: nothing
            }
            assertThat(delivery.calls).isEmpty();

            clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(31)));
            ExecutorService pool = Executors.newFixedThreadPool(nodes);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<SendOutcome>>> runs = new ArrayList<>();
            for (ReportScheduler s : schedulers) {
                runs.add(pool.submit(() -> {
                    go.await();
                    List<SendOutcome> out = new ArrayList<>(s.runDue());
                    out.addAll(s.runDue()); // a second pass of the same node changes nothing
                    return out;
                }));
            }
            go.countDown();
            Map<String, AtomicInteger> sentBy = new ConcurrentHashMap<>();
            for (Future<List<SendOutcome>> f : runs) {
                for (SendOutcome o : f.get(120, TimeUnit.SECONDS)) {
                    assertThat(o.kind()).isIn(SendOutcome.Kind.SENT, SendOutcome.Kind.NOT_DUE);
                    if (o.kind() == SendOutcome.Kind.SENT) {
                        sentBy.computeIfAbsent(o.policyDomain(), k -> new AtomicInteger()).incrementAndGet();
                    }
                }
            }
            pool.shutdown();
            assertThat(delivery.calls).hasSize(domains.size());
            for (String d : domains) {
                String id = ReportId.of(day, d, "org.example");
                assertThat(delivery.callsFor(id)).as(d).isEqualTo(1);
                assertThat(sentBy.get(d).get()).isEqualTo(1);
                SendState st = shared.sendState(day, d).orElseThrow();
                assertThat(st.state()).isEqualTo(SendState.State.SENT);
                assertThat(st.sentTo()).containsExactly(rua.toString());
                assertThat(st.reportId()).isEqualTo(id);
                TlsReport r = delivery.reports.get(id);
                assertThat(r.organizationName()).isEqualTo("Org");
                assertThat(r.policies()).hasSize(1);
                assertThat(r.policies().get(0).successfulSessions()).isEqualTo(3);
                assertThat(r.policies().get(0).failedSessions()).isEqualTo(1);
            }
            // a pass later that day, and an admin send-now without force: nothing is sent again
            clock.advance(Duration.ofHours(2));
            assertThat(kinds(schedulers.get(0).runDue()).values()).containsOnly(SendOutcome.Kind.NOT_DUE);
            assertThat(schedulers.get(1).sendNow(day, domain(0), false).get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
            assertThat(delivery.calls).hasSize(domains.size());
            // with force, the admin re-sends one report (same report-id), once
            List<SendOutcome> forced = schedulers.get(1).sendNow(day, domain(0), true);
            assertThat(forced.get(0).kind()).isEqualTo(SendOutcome.Kind.SENT);
            assertThat(delivery.callsFor(ReportId.of(day, domain(0), "org.example"))).isEqualTo(2);
        } finally {
            for (ReportScheduler s : schedulers) {
                s.close();
            }
            for (CqlSession s : sessions) {
                s.close();
            }
        }
    }

    @Test
    void aFailingRuaIsRetriedABoundedNumberOfTimesThenSuppressed() {
        String a = domain(0);
        String b = domain(1);
        ReportStore store = store();
        record(store, List.of(a), 1, 1);
        URI bad = URI.create("https://down-" + suffix + ".example/tlsrpt");
        RecordingDelivery delivery = new RecordingDelivery();
        delivery.failing.add(bad);
        TlsRptSettings s = settings().maxAttempts(5).retryDelay(Duration.ofHours(1)).ruaMaxFailures(2)
                .suppressFor(Duration.ofDays(2)).build();
        ReportScheduler sched = new ReportScheduler(store, everyDomain(bad), delivery, s, clock, "n1");
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));

        SendOutcome first = sched.runDue().get(0);
        assertThat(first.kind()).isEqualTo(SendOutcome.Kind.FAILED);
        assertThat(first.reason()).contains("HTTP 503");
        SendState st = store.sendState(day, a).orElseThrow();
        assertThat(st.state()).isEqualTo(SendState.State.FAILED);
        assertThat(st.attempts()).isEqualTo(1);
        assertThat(st.retryAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        // before its retry time: not tried again
        clock.advance(Duration.ofMinutes(30));
        assertThat(sched.runDue().get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
        assertThat(delivery.calls).hasSize(1);

        clock.advance(Duration.ofMinutes(31));
        assertThat(sched.runDue().get(0).kind()).isEqualTo(SendOutcome.Kind.FAILED); // 2nd failure: rua suppressed
        assertThat(delivery.calls).hasSize(2);

        clock.advance(Duration.ofMinutes(61));
        SendOutcome third = sched.runDue().get(0);
        assertThat(third.kind()).isEqualTo(SendOutcome.Kind.GAVE_UP); // its only rua is suppressed
        assertThat(third.reason()).contains("suppressed until");
        assertThat(delivery.calls).hasSize(2);
        assertThat(store.sendState(day, a).orElseThrow().state()).isEqualTo(SendState.State.GAVE_UP);
        assertThat(sched.givenUp()).isEqualTo(1);

        // another domain publishing the same rua: not tried while it is suppressed
        record(store, List.of(b), 1, 0);
        assertThat(sched.sendNow(day, b, false).get(0).kind()).isEqualTo(SendOutcome.Kind.GAVE_UP);
        assertThat(delivery.calls).hasSize(2);

        // after the suppression, the rua is tried again (admin forces the re-send)
        clock.advance(Duration.ofDays(2));
        delivery.failing.clear();
        assertThat(sched.sendNow(day, a, true).get(0).kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(delivery.calls).hasSize(3);
    }

    @Test
    void aReportFailingEveryAttemptIsGivenUpAfterMaxAttempts() {
        String a = domain(0);
        ReportStore store = store();
        record(store, List.of(a), 0, 2);
        URI bad = URI.create("mailto:tlsrpt@down-" + suffix + ".example");
        RecordingDelivery delivery = new RecordingDelivery();
        delivery.failing.add(bad);
        TlsRptSettings s = settings().maxAttempts(3).retryDelay(Duration.ofMinutes(10)).ruaMaxFailures(100).build();
        ReportScheduler sched = new ReportScheduler(store, everyDomain(bad), delivery, s, clock, "n1");
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));
        List<SendOutcome.Kind> seen = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            seen.add(sched.runDue().get(0).kind());
            clock.advance(Duration.ofMinutes(11));
        }
        assertThat(seen).containsExactly(SendOutcome.Kind.FAILED, SendOutcome.Kind.FAILED, SendOutcome.Kind.GAVE_UP,
                SendOutcome.Kind.NOT_DUE, SendOutcome.Kind.NOT_DUE, SendOutcome.Kind.NOT_DUE);
        assertThat(delivery.calls).hasSize(3);
        SendState st = store.sendState(day, a).orElseThrow();
        assertThat(st.attempts()).isEqualTo(3);
        assertThat(st.lastError()).contains("HTTP 503");
    }

    @Test
    void theClaimOfANodeThatDiedMidSendIsTakenOverOnceItsLeaseRunsOut() {
        String a = domain(0);
        ReportStore store = store();
        record(store, List.of(a), 2, 0);
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));
        Instant now = clock.instant();
        // node "dead" claimed it, then died before recording any outcome
        SendState dead = store.tables().sends.claim(day, a, "dead", now, now.plus(Duration.ofMinutes(15)), false,
                ReportStore.ttlSeconds(day, now, RETENTION));
        assertThat(dead).isNotNull();
        RecordingDelivery delivery = new RecordingDelivery();
        ReportScheduler sched = new ReportScheduler(store, everyDomain(URI.create("https://r.example/")), delivery,
                settings().leaseTtl(Duration.ofMinutes(15)).build(), clock, "alive");
        assertThat(sched.runDue().get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
        // force does not override a live claim either
        assertThat(sched.sendNow(day, a, true).get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
        assertThat(delivery.calls).isEmpty();
        clock.advance(Duration.ofMinutes(16));
        assertThat(sched.runDue().get(0).kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(delivery.calls).hasSize(1);
        // the dead node, back, cannot overwrite the new owner's outcome with its stale claim
        assertThat(store.tables().sends.finish(dead, SendState.State.FAILED, 1, null, null, null, "stale", null, 60))
                .isFalse();
        SendState st = store.sendState(day, a).orElseThrow();
        assertThat(st.state()).isEqualTo(SendState.State.SENT);
        assertThat(st.owner()).isEqualTo("alive");
    }

    @Test
    void daysWithoutFailureAreSentByDefaultAndSkippedWhenSuccessOnlyReportsAreOff() {
        String quiet = domain(0);
        String noisy = domain(1);
        String quiet2 = domain(2);
        ReportStore store = store();
        record(store, List.of(quiet, quiet2), 5, 0);
        record(store, List.of(noisy), 5, 1);
        RecordingDelivery delivery = new RecordingDelivery();
        ReportDestinations dest = everyDomain(URI.create("https://r.example/"));
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));
        assertThat(TlsRptSettings.defaults().sendSuccessOnlyReports()).isTrue();

        ReportScheduler off = new ReportScheduler(store, dest, delivery,
                settings().sendSuccessOnlyReports(false).build(), clock, "n1");
        Map<String, SendOutcome.Kind> k = kinds(off.sendNow(day, null, false));
        assertThat(k).containsEntry(quiet, SendOutcome.Kind.SKIPPED).containsEntry(quiet2, SendOutcome.Kind.SKIPPED)
                .containsEntry(noisy, SendOutcome.Kind.SENT);
        assertThat(store.sendState(day, quiet).orElseThrow().state()).isEqualTo(SendState.State.SKIPPED);
        assertThat(delivery.calls).hasSize(1);
        // skipped is final for the daily passes...
        assertThat(kinds(off.runDue()).get(quiet)).isEqualTo(SendOutcome.Kind.NOT_DUE);
        // ...an admin may still send it
        assertThat(off.sendNow(day, quiet, true).get(0).kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(delivery.calls).hasSize(2);
    }

    @Test
    void aDomainWithoutRecordGetsNoReportAndATemporaryLookupFailureIsRetried() {
        String none = domain(0);
        String flaky = domain(1);
        ReportStore store = store();
        record(store, List.of(none, flaky), 1, 1);
        AtomicInteger flakyLookups = new AtomicInteger();
        ReportDestinations dest = d -> {
            if (d.equals(none)) {
                return ReportDestinations.Lookup.none("no _smtp._tls record");
            }
            return flakyLookups.incrementAndGet() == 1 ? ReportDestinations.Lookup.temporary("SERVFAIL")
                    : ReportDestinations.Lookup.found(List.of(URI.create("https://r.example/")));
        };
        RecordingDelivery delivery = new RecordingDelivery();
        ReportScheduler sched = new ReportScheduler(store, dest, delivery, settings().retryDelay(Duration.ofMinutes(5)).build(),
                clock, "n1");
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));
        Map<String, SendOutcome.Kind> k = kinds(sched.runDue());
        assertThat(k).containsEntry(none, SendOutcome.Kind.NO_RECORD).containsEntry(flaky, SendOutcome.Kind.FAILED);
        assertThat(store.sendState(day, none).orElseThrow().state()).isEqualTo(SendState.State.NO_RECORD);
        assertThat(store.sendState(day, flaky).orElseThrow().lastError()).contains("SERVFAIL");
        clock.advance(Duration.ofMinutes(6));
        k = kinds(sched.runDue());
        assertThat(k).containsEntry(none, SendOutcome.Kind.NOT_DUE).containsEntry(flaky, SendOutcome.Kind.SENT);
        assertThat(delivery.calls).hasSize(1);
    }

    @Test
    void networkTextInADeliveryFailureIsStoredAndReportedEscaped() {
        String a = domain(0);
        ReportStore store = store();
        record(store, List.of(a), 0, 1);
        ReportDelivery hostile = (rua, report) -> ReportDelivery.Result.failed("550 no\r\nX-Injected: yes\u001b[31m");
        ReportScheduler sched = new ReportScheduler(store, everyDomain(URI.create("https://r.example/")), hostile,
                settings().build(), clock, "n1");
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(1)));
        SendOutcome o = sched.runDue().get(0);
        assertThat(o.kind()).isEqualTo(SendOutcome.Kind.FAILED);
        for (String text : List.of(o.reason(), store.sendState(day, a).orElseThrow().lastError())) {
            assertThat(text).doesNotContain("\r").doesNotContain("\n").doesNotContain("\u001b")
                    .contains("550 no\\x0D\\x0AX-Injected: yes\\x1B[31m");
        }
    }

    @Test
    void theTimerRunsPassesByItself() throws Exception {
        String a = domain(0);
        ReportStore store = store();
        record(store, List.of(a), 1, 0);
        RecordingDelivery delivery = new RecordingDelivery();
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofHours(2)));
        try (ReportScheduler sched = new ReportScheduler(store, everyDomain(URI.create("https://r.example/")), delivery,
                settings().tick(Duration.ofMillis(100)).build(), clock, "n1").start()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> delivery.calls.size() == 1);
            Thread.sleep(500); // further ticks send nothing more
            assertThat(delivery.calls).hasSize(1);
            assertThat(sched.sent()).isEqualTo(1);
        }
        assertThat(Collections.singletonList(store.sendState(day, a).orElseThrow().state())).containsExactly(SendState.State.SENT);
    }
}
