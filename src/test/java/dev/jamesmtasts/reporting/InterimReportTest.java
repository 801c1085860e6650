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
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.reporting.Results.TestClock;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.tlsrpt.HttpsReportPoster;
import dev.jamesmtasts.tlsrpt.PostResult;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Interim reports: an administrator's send-now of a UTC day that has not ended (by the scheduler's
 * clock) sends the day so far under its own report-id and leaves the day's report to the daily run,
 * which still sends the whole day under the next id. Real Cassandra, reports POSTed by the real
 * {@link HttpsReportPoster} to the test HTTPS receiver and parsed back (RFC 8460 §4.4, §5.4).
 */
@ExtendWith(MtaStsTestbedExtension.class)
class InterimReportTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static HttpsReportPoster poster;
    private static final AtomicInteger DAYS_BACK = new AtomicInteger(1);
    private static final Duration RETENTION = Duration.ofDays(40);

    private LocalDate day;
    private TestClock clock;
    private String domain;
    private String host;
    private URI rua;

    @BeforeAll
    static void startPoster() {
        poster = new HttpsReportPoster(bed.settings().build(), Duration.ofSeconds(20),
                HttpsReportPoster.DEFAULT_MAX_REPORT_BYTES);
    }

    @AfterAll
    static void stopPoster() {
        poster.close();
    }

    @BeforeEach
    void setUp() {
        // a recent day of its own per test (real time), so that rows written with RETENTION keep a positive TTL
        day = ReportId.day(Instant.now()).minusDays(DAYS_BACK.getAndIncrement());
        clock = new TestClock(ReportId.start(day).plus(Duration.ofHours(14)));
        String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        domain = "i-" + suffix + ".example";
        host = "tlsrpt." + domain;
        bed.dns().clear(host).a(host, "127.0.0.1");
        bed.https().host(host, bed.ca().issue(host), TestHttpsServer.Response.ok("thanks"));
        rua = URI.create("https://" + host + ":" + bed.https().port() + "/v1/tlsrpt");
    }

    private ReportStore store(CqlSession session) {
        return ReportStore.create(session, CacheSettings.builder().keyspace(CASSANDRA.keyspace()).build());
    }

    private ReportScheduler scheduler(ReportStore store, ReportDelivery delivery, String node) {
        TlsRptSettings s = TlsRptSettings.builder().retentionDays((int) RETENTION.toDays())
                .sendDelayMin(Duration.ofMinutes(5)).sendDelayMax(Duration.ofMinutes(30))
                .organizationName("Org").contactInfo("mailto:tlsrpt@org.example").submitter("org.example").build();
        return new ReportScheduler(store, d -> ReportDestinations.Lookup.found(List.of(rua)), delivery, s, clock, node);
    }

    /** The real HTTPS transport of a report (RFC 8460 §5.4: gzipped JSON, application/tlsrpt+gzip). */
    private static ReportDelivery https() {
        return (uri, report) -> {
            PostResult r = poster.post(uri.toString(), ReportJson.writeGzip(report));
            return r.isSent() ? ReportDelivery.Result.delivered() : ReportDelivery.Result.failed(r.toString());
        };
    }

    /** {@code ok} successes and {@code bad} certificate-expired failures at {@code at}, flushed to the store. */
    private void record(ReportStore store, Instant at, int ok, int bad) {
        TlsRptSettings s = TlsRptSettings.builder().retentionDays((int) RETENTION.toDays()).build();
        try (ResultRecorder rec = new ResultRecorder(store, s, Clock.fixed(at, ZoneOffset.UTC))) {
            for (int i = 0; i < ok; i++) {
                rec.record(at, ok(sts(domain)));
            }
            for (int i = 0; i < bad; i++) {
                rec.record(at, failed(sts(domain), ResultType.CERTIFICATE_EXPIRED));
            }
            assertThat(rec.flush().failed()).isZero();
        }
    }

    private TlsReport lastPost() throws Exception {
        return ReportJson.readGzip(bed.https().lastRequestBody(host), ReportJson.DEFAULT_MAX_BYTES);
    }

    private String id(int sequence) {
        return ReportId.of(day, domain, "org.example", sequence);
    }

    @Test
    void interimsBeforeMidnightThenTheWholeDayUnderTheNextIdAfterIt() throws Exception {
        ReportStore store = store(CASSANDRA.session());
        ReportScheduler sched = scheduler(store, https(), "n1");
        record(store, ReportId.start(day).plus(Duration.ofHours(9)), 3, 1);

        // 14:00: the day so far, its date-range ending now, id -2; the day's send state untouched
        SendOutcome first = sched.sendNow(day, domain, false).get(0);
        assertThat(first.kind()).as(first.toString()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(first.interim()).isTrue();
        assertThat(first.interimEnd()).isEqualTo(ReportId.start(day).plus(Duration.ofHours(14)));
        assertThat(first.reportId()).isEqualTo(id(2));
        assertThat(ReportView.outcome(first)).containsEntry(ReportView.INTERIM, true)
                .containsEntry(ReportView.UNTIL, first.interimEnd().toString());
        assertThat(bed.https().requests(host)).isEqualTo(1);
        TlsReport interim = lastPost();
        assertThat(interim.reportId()).isEqualTo(id(2));
        assertThat(interim.start()).isEqualTo(ReportId.start(day));
        assertThat(interim.end()).isEqualTo(ReportId.start(day).plus(Duration.ofHours(14)));
        assertThat(interim.policies().get(0).successfulSessions()).isEqualTo(3);
        assertThat(interim.policies().get(0).failedSessions()).isEqualTo(1);
        assertThat(store.sendState(day, domain)).isEmpty();

        // more sessions in the afternoon, a second interim at 18:30: id -3
        record(store, ReportId.start(day).plus(Duration.ofHours(16)), 2, 0);
        clock.set(ReportId.start(day).plus(Duration.ofMinutes(18 * 60 + 30)));
        SendOutcome second = sched.sendNow(day, domain, false).get(0);
        assertThat(second.kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(second.reportId()).isEqualTo(id(3));
        assertThat(lastPost().policies().get(0).successfulSessions()).isEqualTo(5);
        record(store, ReportId.start(day).plus(Duration.ofHours(22)), 1, 1);

        // the daily run sends this day only after it ended
        assertThat(sched.sendTime(day)).isAfter(ReportId.end(day));
        assertThat(bed.https().requests(host)).isEqualTo(2);

        // after midnight plus the delay: the whole day, every session (the interims' too), id -4
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(31)));
        List<SendOutcome> daily = sched.runDue();
        assertThat(daily).hasSize(1);
        assertThat(daily.get(0).kind()).as(daily.toString()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(daily.get(0).interim()).isFalse();
        assertThat(ReportView.outcome(daily.get(0))).doesNotContainKey(ReportView.INTERIM);
        assertThat(daily.get(0).reportId()).isEqualTo(id(4));
        assertThat(bed.https().requests(host)).isEqualTo(3);
        TlsReport whole = lastPost();
        assertThat(whole.reportId()).isEqualTo(id(4));
        assertThat(whole.start()).isEqualTo(ReportId.start(day));
        assertThat(whole.end()).isEqualTo(ReportId.end(day));
        assertThat(whole.policies().get(0).successfulSessions()).isEqualTo(6);
        assertThat(whole.policies().get(0).failedSessions()).isEqualTo(2);
        SendState st = store.sendState(day, domain).orElseThrow();
        assertThat(st.state()).isEqualTo(SendState.State.SENT);
        assertThat(st.reportId()).isEqualTo(id(4));

        // finished: send-now changes nothing, --force re-sends the same report under the same id
        assertThat(sched.sendNow(day, domain, false).get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
        SendOutcome forced = sched.sendNow(day, domain, true).get(0);
        assertThat(forced.kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(forced.interim()).isFalse();
        assertThat(forced.reportId()).isEqualTo(id(4));
        assertThat(bed.https().requests(host)).isEqualTo(4);
        assertThat(lastPost()).isEqualTo(whole);
    }

    @Test
    void theSendNowOfAnEndedDayIsTheDaysReportAsBefore() throws Exception {
        ReportStore store = store(CASSANDRA.session());
        ReportScheduler sched = scheduler(store, https(), "n1");
        record(store, ReportId.start(day).plus(Duration.ofHours(9)), 4, 1);
        // one minute after midnight: before the daily run's send time, the day is over
        clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(1)));
        SendOutcome o = sched.sendNow(day, domain, false).get(0);
        assertThat(o.kind()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(o.interim()).isFalse();
        assertThat(o.reportId()).isEqualTo(ReportId.of(day, domain, "org.example"));
        TlsReport r = lastPost();
        assertThat(r.reportId()).isEqualTo(ReportId.of(day, domain, "org.example"));
        assertThat(r.start()).isEqualTo(ReportId.start(day));
        assertThat(r.end()).isEqualTo(ReportId.end(day));
        assertThat(store.sendState(day, domain).orElseThrow().state()).isEqualTo(SendState.State.SENT);
        clock.advance(Duration.ofHours(1));
        assertThat(sched.runDue().get(0).kind()).isEqualTo(SendOutcome.Kind.NOT_DUE);
        assertThat(bed.https().requests(host)).isEqualTo(1);
    }

    @Test
    void twoNodesSendingNowAtOnceSendOneInterimWhichDoesNotHoldUpTheDaysReport() throws Exception {
        record(store(CASSANDRA.session()), ReportId.start(day).plus(Duration.ofHours(9)), 2, 1);
        CountDownLatch inDelivery = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ReportDelivery real = https();
        ReportDelivery held = (uri, report) -> {
            inDelivery.countDown();
            try {
                release.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return real.deliver(uri, report);
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (CqlSession a = CassandraNode.shared().newSession(); CqlSession b = CassandraNode.shared().newSession()) {
            ReportScheduler nodeA = scheduler(store(a), held, "node-a");
            ReportScheduler nodeB = scheduler(store(b), real, "node-b");
            Future<List<SendOutcome>> first = pool.submit(() -> nodeA.sendNow(day, domain, false));
            assertThat(inDelivery.await(120, TimeUnit.SECONDS)).isTrue();
            // node A holds the interim claim and is sending: node B's send-now at the same time sends nothing
            SendOutcome other = nodeB.sendNow(day, domain, false).get(0);
            assertThat(other.kind()).as(other.toString()).isEqualTo(SendOutcome.Kind.NOT_DUE);
            assertThat(other.interim()).isTrue();
            assertThat(bed.https().requests(host)).isZero();

            // the day ends while A's interim is still in flight: B's daily run is not held up by it
            clock.set(ReportId.start(day.plusDays(1)).plus(Duration.ofMinutes(31)));
            List<SendOutcome> daily = nodeB.runDue();
            assertThat(daily).hasSize(1);
            assertThat(daily.get(0).kind()).as(daily.toString()).isEqualTo(SendOutcome.Kind.SENT);
            assertThat(daily.get(0).reportId()).isEqualTo(id(3));
            assertThat(bed.https().requests(host)).isEqualTo(1);
            assertThat(lastPost().end()).isEqualTo(ReportId.end(day));

            release.countDown();
            SendOutcome interim = first.get(120, TimeUnit.SECONDS).get(0);
            assertThat(interim.kind()).as(interim.toString()).isEqualTo(SendOutcome.Kind.SENT);
            assertThat(interim.interim()).isTrue();
            assertThat(interim.reportId()).isEqualTo(id(2));
            assertThat(bed.https().requests(host)).isEqualTo(2);
            assertThat(lastPost().end()).isEqualTo(ReportId.start(day).plus(Duration.ofHours(14)));
            // the day's report stands; no interim after it
            assertThat(store(a).sendState(day, domain).orElseThrow().reportId()).isEqualTo(id(3));
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
