package dev.jamesmtasts.reporting;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Sends the daily TLS-RPT reports (RFC 8460 §4, §5): once the previous UTC day is over plus a random
 * delay (drawn per node and day in [{@link TlsRptSettings#sendDelayMin()}, {@link TlsRptSettings#sendDelayMax()}]),
 * for each policy domain with results that day: decide whether to report it (a day without failure only
 * with {@link TlsRptSettings#sendSuccessOnlyReports()}), claim it in the store (one node sends it however
 * many run, {@link ReportSendTable}), look up its rua URIs, deliver to each one that is not suppressed, and
 * record the outcome. A failed attempt is retried every {@link TlsRptSettings#retryDelay()} up to
 * {@link TlsRptSettings#maxAttempts()}; a rua failing {@link TlsRptSettings#ruaMaxFailures()} times in a row
 * is suppressed for {@link TlsRptSettings#suppressFor()}.
 *
 * <p>The scheduler checks every {@link TlsRptSettings#tick()} whether work is due (two partition reads when
 * there is none). Store failures end a pass early and are retried by the next; nothing is thrown.
 */
public final class ReportScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReportScheduler.class);

    private final ReportStore store;
    private final ReportDestinations destinations;
    private final ReportDelivery delivery;
    private final TlsRptSettings settings;
    private final Clock clock;
    private final String nodeId;
    private final long delaySeed;
    private final LongAdder sent = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final LongAdder givenUp = new LongAdder();
    private ScheduledExecutorService timer;
    private volatile boolean closed;

    /**
     * @param nodeId names this node in claims (the recorder's run id does; any unique text)
     */
    public ReportScheduler(ReportStore store, ReportDestinations destinations, ReportDelivery delivery,
                           TlsRptSettings settings, Clock clock, String nodeId) {
        this.store = Objects.requireNonNull(store);
        this.destinations = Objects.requireNonNull(destinations);
        this.delivery = Objects.requireNonNull(delivery);
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
        this.nodeId = Objects.requireNonNull(nodeId);
        this.delaySeed = UUID.randomUUID().getLeastSignificantBits();
    }

    /** Checks for due work every {@link TlsRptSettings#tick()} on a daemon thread of its own. */
    public synchronized ReportScheduler start() {
        if (timer == null && !closed) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tlsrpt-scheduler");
                t.setDaemon(true);
                return t;
            });
            long ms = settings.tick().toMillis();
            timer.scheduleWithFixedDelay(() -> {
                try {
                    runDue();
                } catch (RuntimeException e) {
                    LOG.warn("TLS-RPT report pass failed: {}", SafeText.of(e.toString(), SafeText.REASON_MAX));
                }
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** When this node first reports {@code day}: the next midnight UTC plus this node's delay for that day. */
    public Instant sendTime(LocalDate day) {
        long lo = settings.sendDelayMin().toMillis();
        long hi = settings.sendDelayMax().toMillis();
        long delay = lo + (hi > lo ? new SplittableRandom(delaySeed ^ day.toEpochDay()).nextLong(hi - lo + 1) : 0);
        return ReportId.start(day.plusDays(1)).plusMillis(delay);
    }

    /**
     * One pass: when the previous UTC day's send time has come, handles each of its domains (new
     * reports, due retries, claims of dead nodes); otherwise does nothing.
     */
    public List<SendOutcome> runDue() {
        Instant now = clock.instant();
        LocalDate day = ReportId.day(now).minusDays(1);
        if (closed || now.isBefore(sendTime(day))) {
            return List.of();
        }
        return pass(day, null, false);
    }

    /**
     * Sends the report(s) of {@code day} now (admin): for {@code policyDomain}, or every domain with
     * results when null. Still one sender per report (the claim); {@code force} also re-sends a report
     * already finished (sent, given up, skipped) and ignores the retry delay and success-only setting.
     */
    public List<SendOutcome> sendNow(LocalDate day, String policyDomain, boolean force) {
        return pass(day, policyDomain, force);
    }

    /**
     * The report of (day, domain) as this scheduler would send it now (its organization, contact and
     * submitter: RFC 8460 §4.4; its report-id, and for a day not ended the interim's date-range up to
     * now), for the admin surfaces, from the day's {@code results} (not empty) and send {@code state}
     * (null when no node touched it) that the caller has read.
     */
    public TlsReport report(LocalDate day, String policyDomain, List<TlsReport.PolicyResults> results, SendState state) {
        if (state != null && state.reportId() != null) {
            return report(day, ReportId.end(day), state.reportId(), results);
        }
        // as send-now would send it: an interim while the day lasts (and no node began its report)
        Instant now = clock.instant();
        boolean interim = interim(state, day, now);
        int seq = InterimReportTable.nextSeq(store.tables().interims.read(day, policyDomain), interim);
        return report(day, interim ? now.truncatedTo(ChronoUnit.SECONDS) : ReportId.end(day),
                ReportId.of(day, policyDomain, settings.submitter(), seq), results);
    }

    private List<SendOutcome> pass(LocalDate day, String only, boolean force) {
        List<String> domains;
        Map<String, SendState> states;
        try {
            domains = only == null ? store.domainsWithResults(day) : List.of(only);
            states = store.sendStates(day);
        } catch (StoreException e) {
            LOG.warn("TLS-RPT reports of {}: store unavailable ({}); next pass in {}", day,
                    SafeText.of(e.getMessage(), SafeText.REASON_MAX), settings.tick());
            List<SendOutcome> out = new ArrayList<>();
            out.add(new SendOutcome(day, only, SendOutcome.Kind.STORE_ERROR, null, SafeText.of(e.getMessage()), null));
            return out;
        }
        List<SendOutcome> out = new ArrayList<>();
        for (String d : domains) {
            if (closed) {
                break;
            }
            SendOutcome o = handle(day, d, states.get(d), force);
            out.add(o);
            if (o.kind() == SendOutcome.Kind.STORE_ERROR) {
                break; // the store is gone: stop here, the next pass goes on
            }
        }
        return Collections.unmodifiableList(out);
    }

    private SendOutcome handle(LocalDate day, String domain, SendState state, boolean force) {
        try {
            return send(day, domain, state, force);
        } catch (StoreException e) {
            LOG.warn("TLS-RPT report of {} for {}: store unavailable ({})", day, SafeText.of(domain),
                    SafeText.of(e.getMessage(), SafeText.REASON_MAX));
            return new SendOutcome(day, domain, SendOutcome.Kind.STORE_ERROR, null, SafeText.of(e.getMessage()), null);
        }
    }

    /** A day not over yet by this node's clock, whose report no node has begun: send-now sends an interim report. */
    private static boolean interim(SendState state, LocalDate day, Instant now) {
        return state == null && now.isBefore(ReportId.start(day.plusDays(1)));
    }

    /** The report of {@code day} from its first second to {@code end}, by this scheduler's organization (RFC 8460 §4.4). */
    private TlsReport report(LocalDate day, Instant end, String reportId, List<TlsReport.PolicyResults> results) {
        return new TlsReport(settings.organizationName(), ReportId.start(day), end, settings.contactInfo(), reportId, results);
    }

    private SendOutcome send(LocalDate day, String domain, SendState state, boolean force) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS); // the store keeps milliseconds
        boolean interim = interim(state, day, now);
        if (state != null && !ReportSendTable.mayTakeOver(state, now, force)) {
            return new SendOutcome(day, domain, SendOutcome.Kind.NOT_DUE, state.sentTo(), state.toString(), state.reportId());
        }
        List<TlsReport.PolicyResults> results = store.results(day, domain);
        if (results.isEmpty()) {
            return new SendOutcome(day, domain, SendOutcome.Kind.NO_RESULTS, null, null, null);
        }
        int ttl = ReportStore.ttlSeconds(day, now, settings.retention());
        ReportStore.Tables t = store.tables();
        if (!force && !settings.sendSuccessOnlyReports() && !anyFailure(results)) {
            if (state == null && !interim) {
                t.sends.markSkipped(day, domain, nodeId, now, ttl); // the day is over: final
            }
            return new SendOutcome(day, domain, SendOutcome.Kind.SKIPPED, null, "no failure that day", null);
        }
        if (interim) {
            return sendInterim(t, day, domain, results, now, ttl);
        }
        SendState claim = t.sends.claim(day, domain, nodeId, now, now.plus(settings.leaseTtl()), force, ttl);
        if (claim == null) {
            return new SendOutcome(day, domain, SendOutcome.Kind.NOT_DUE, null, "claimed by another node or not due", null);
        }
        // the id is taken once, after any interim of the day, and kept by retries and forced re-sends
        String reportId = claim.reportId() != null ? claim.reportId()
                : ReportId.of(day, domain, settings.submitter(), t.interims.dailySeq(day, domain, ttl));
        TlsReport report = report(day, ReportId.end(day), reportId, results);
        ReportDestinations.Lookup lookup = lookup(domain);
        switch (lookup.kind()) {
            case NONE:
                t.sends.finish(claim, SendState.State.NO_RECORD, claim.attempts(), null, null, null, lookup.reason(),
                        report.reportId(), ttl);
                return new SendOutcome(day, domain, SendOutcome.Kind.NO_RECORD, null, lookup.reason(), report.reportId());
            case TEMPORARY:
                return failedAttempt(claim, report, "TLS-RPT record lookup: " + lookup.reason(), ttl);
            default:
                break;
        }
        Deliveries d = deliverAll(t, lookup.rua(), report, now);
        if (!d.sentTo.isEmpty()) {
            t.sends.finish(claim, SendState.State.SENT, claim.attempts(), null, clock.instant(), d.sentTo, d.errorText(),
                    report.reportId(), ttl);
            sent.increment();
            LOG.info("TLS-RPT report {} sent to {}", SafeText.of(report.reportId()), SafeText.display(d.sentTo.toString()));
            return new SendOutcome(day, domain, SendOutcome.Kind.SENT, d.sentTo, d.errorText(), report.reportId());
        }
        if (d.suppressed == lookup.rua().size()) {
            t.sends.finish(claim, SendState.State.GAVE_UP, claim.attempts(), null, null, null, d.errorText(),
                    report.reportId(), ttl);
            givenUp.increment();
            return new SendOutcome(day, domain, SendOutcome.Kind.GAVE_UP, null, d.errorText(), report.reportId());
        }
        return failedAttempt(claim, report, d.errorText(), ttl);
    }

    /**
     * An interim report: (day, domain) so far, its date-range ending now, under the day's next report-id
     * sequence number ({@link InterimReportTable}). One attempt, no retry: the day's own report, with
     * every session of the day (those of this interim too), follows after the day whatever happens here,
     * so the day's send state ({@link ReportSendTable}) is not touched.
     */
    private SendOutcome sendInterim(ReportStore.Tables t, LocalDate day, String domain,
                                    List<TlsReport.PolicyResults> results, Instant now, int ttl) {
        InterimReportTable.Interim claim = t.interims.claim(day, domain, nodeId, now, now.plus(settings.leaseTtl()), ttl);
        Instant end = now.truncatedTo(ChronoUnit.SECONDS);
        if (claim == null) {
            return new SendOutcome(day, domain, SendOutcome.Kind.NOT_DUE, null,
                    "an interim report is being sent by another node, or the day's report has begun", null, end);
        }
        TlsReport report = report(day, end, ReportId.of(day, domain, settings.submitter(), claim.lastSeq), results);
        ReportDestinations.Lookup lookup = lookup(domain);
        if (lookup.kind() == ReportDestinations.Lookup.Kind.NONE) {
            t.interims.finish(claim, "no_record", null, null, lookup.reason(), report.reportId(), ttl);
            return new SendOutcome(day, domain, SendOutcome.Kind.NO_RECORD, null, lookup.reason(), report.reportId(), end);
        }
        Deliveries d = lookup.kind() == ReportDestinations.Lookup.Kind.TEMPORARY
                ? new Deliveries("TLS-RPT record lookup: " + lookup.reason()) : deliverAll(t, lookup.rua(), report, now);
        if (d.sentTo.isEmpty()) {
            failedAttempts.increment();
            t.interims.finish(claim, "failed", null, null, d.errorText(), report.reportId(), ttl);
            LOG.warn("TLS-RPT report {} (interim) not sent, not retried (the day's report follows after the day): {}",
                    SafeText.of(report.reportId()), d.errorText());
            return new SendOutcome(day, domain, SendOutcome.Kind.FAILED, null, d.errorText(), report.reportId(), end);
        }
        t.interims.finish(claim, "sent", clock.instant(), d.sentTo, d.errorText(), report.reportId(), ttl);
        sent.increment();
        LOG.info("TLS-RPT report {} (interim, until {}) sent to {}", SafeText.of(report.reportId()), end,
                SafeText.display(d.sentTo.toString()));
        return new SendOutcome(day, domain, SendOutcome.Kind.SENT, d.sentTo, d.errorText(), report.reportId(), end);
    }

    /** What delivering one report to a record's rua URIs gave. */
    private static final class Deliveries {
        final List<String> sentTo = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        int suppressed;

        Deliveries() {
        }

        Deliveries(String error) {
            errors.add(error);
        }

        String errorText() {
            return errors.isEmpty() ? null : SafeText.display(String.join("; ", errors));
        }
    }

    /** Delivers {@code report} to each rua that is not suppressed, and keeps each rua's failure count. */
    private Deliveries deliverAll(ReportStore.Tables t, List<URI> ruas, TlsReport report, Instant now) {
        Deliveries d = new Deliveries();
        for (URI rua : ruas) {
            String key = rua.toString();
            RuaStateTable.RuaState rs = ruaState(t, key);
            if (rs.suppressed(now)) {
                d.suppressed++;
                d.errors.add(SafeText.of(key) + " suppressed until " + rs.suppressedUntil);
                continue;
            }
            ReportDelivery.Result r = deliver(rua, report);
            if (r.isDelivered()) {
                d.sentTo.add(key);
                try {
                    t.ruas.succeeded(key, rs);
                } catch (StoreException e) {
                    LOG.debug("rua state not updated: {}", e.toString());
                }
            } else {
                d.errors.add(SafeText.of(key) + ": " + SafeText.display(r.reason()));
                try {
                    RuaStateTable.RuaState after = t.ruas.failed(key, rs, now, SafeText.display(r.reason()),
                            settings.ruaMaxFailures(), settings.suppressFor());
                    if (after.suppressedUntil != null) {
                        LOG.warn("TLS-RPT: rua {} failed {} times in a row; suppressed until {}", SafeText.of(key),
                                settings.ruaMaxFailures(), after.suppressedUntil);
                    }
                } catch (StoreException e) {
                    LOG.debug("rua state not updated: {}", e.toString());
                }
            }
        }
        return d;
    }

    private SendOutcome failedAttempt(SendState claim, TlsReport report, String why, int ttl) {
        int attempts = claim.attempts() + 1;
        failedAttempts.increment();
        String reason = SafeText.display(why);
        if (attempts >= settings.maxAttempts()) {
            store.tables().sends.finish(claim, SendState.State.GAVE_UP, attempts, null, null, null, reason,
                    report.reportId(), ttl);
            givenUp.increment();
            LOG.warn("TLS-RPT report {} given up after {} attempts: {}", SafeText.of(report.reportId()), attempts, reason);
            return new SendOutcome(claim.day(), claim.policyDomain(), SendOutcome.Kind.GAVE_UP, null, reason, report.reportId());
        }
        Instant retryAt = clock.instant().plus(settings.retryDelay());
        store.tables().sends.finish(claim, SendState.State.FAILED, attempts, retryAt, null, null, reason,
                report.reportId(), ttl);
        LOG.warn("TLS-RPT report {} not sent (attempt {} of {}), retry at {}: {}", SafeText.of(report.reportId()),
                attempts, settings.maxAttempts(), retryAt, reason);
        return new SendOutcome(claim.day(), claim.policyDomain(), SendOutcome.Kind.FAILED, null, reason, report.reportId());
    }

    private static boolean anyFailure(List<TlsReport.PolicyResults> results) {
        for (TlsReport.PolicyResults p : results) {
            if (p.failedSessions() > 0) {
                return true;
            }
        }
        return false;
    }

    private static RuaStateTable.RuaState ruaState(ReportStore.Tables t, String rua) {
        try {
            return t.ruas.read(rua);
        } catch (StoreException e) {
            return new RuaStateTable.RuaState(0, null, null, null); // unknown: try it
        }
    }

    private ReportDestinations.Lookup lookup(String domain) {
        try {
            ReportDestinations.Lookup l = destinations.lookup(domain);
            return l == null ? ReportDestinations.Lookup.temporary("no answer") : l;
        } catch (RuntimeException e) {
            return ReportDestinations.Lookup.temporary(SafeText.of(e.toString()));
        }
    }

    private ReportDelivery.Result deliver(URI rua, TlsReport report) {
        try {
            ReportDelivery.Result r = delivery.deliver(rua, report);
            return r == null ? ReportDelivery.Result.failed("no result") : r;
        } catch (RuntimeException e) {
            return ReportDelivery.Result.failed(SafeText.of(e.toString()));
        }
    }

    /** Reports delivered to at least one rua by this node. */
    public long sent() {
        return sent.sum();
    }

    /** Failed sending attempts on this node (each retried or given up). */
    public long failedAttempts() {
        return failedAttempts.sum();
    }

    /** Reports given up by this node. */
    public long givenUp() {
        return givenUp.sum();
    }

    /** Stops the timer (a pass in progress finishes its current report). */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            closed = true;
            t = timer;
        }
        if (t != null) {
            t.shutdown();
            try {
                t.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** This node's name in claims. */
    public String nodeId() {
        return nodeId;
    }
}
