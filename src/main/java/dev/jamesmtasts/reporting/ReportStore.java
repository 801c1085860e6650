package dev.jamesmtasts.reporting;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;
import dev.jamesmtasts.cache.StoreException;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * The Cassandra side of TLS-RPT (RFC 8460): results per (UTC day, policy domain) merged over every node,
 * the day's index of domains with results, report send states. Same keyspace, consistency levels and
 * time bound as the policy store ({@link CacheSettings}); every call is bounded and fails with
 * {@link StoreException}, never hangs.
 *
 * <p>A store may exist before Cassandra can be reached ({@link #unconnected}): every call fails at once
 * until {@link #connect} succeeds; the recorder keeps counting in memory meanwhile.
 */
public final class ReportStore {
    private final CacheSettings settings;
    private volatile Tables tables;

    static final class Tables {
        final ResultTable results;
        final ReportSendTable sends;
        final InterimReportTable interims;
        final RuaStateTable ruas;

        Tables(CqlCalls cql, CacheSettings settings) {
            results = new ResultTable(cql, settings);
            sends = new ReportSendTable(cql, settings);
            interims = new InterimReportTable(cql, settings);
            ruas = new RuaStateTable(cql, settings);
        }
    }

    private ReportStore(CacheSettings settings) {
        this.settings = Objects.requireNonNull(settings);
    }

    /** Creates the tables when missing (idempotent) and prepares the statements. */
    public static ReportStore create(CqlSession session, CacheSettings settings) {
        ReportStore s = new ReportStore(settings);
        s.connect(session);
        return s;
    }

    /** A store not connected yet: every call fails with {@link StoreException} until {@link #connect}. */
    public static ReportStore unconnected(CacheSettings settings) {
        return new ReportStore(settings);
    }

    /** Creates the schema when missing and prepares the statements; nothing when already connected. */
    public synchronized void connect(CqlSession session) {
        if (tables != null) {
            return;
        }
        CqlCalls cql = new CqlCalls(Objects.requireNonNull(session), settings);
        ReportSchema.create(cql, settings);
        tables = new Tables(cql, settings);
    }

    long timeoutMillis() {
        return settings.storeTimeout().toMillis();
    }

    public boolean connected() {
        return tables != null;
    }

    /** The CQL that {@link #create} runs, in order. */
    public static List<String> schema(CacheSettings settings) {
        return ReportSchema.statements(settings);
    }

    Tables tables() {
        Tables t = tables;
        if (t == null) {
            throw new StoreException("TLS-RPT store not connected", null);
        }
        return t;
    }

    /**
     * The results of {@code day} for {@code policyDomain}, summed over every node and run: one entry
     * per applied policy (RFC 8460 §4.4 {@code policies[]}) with its summary counts and failure details.
     * Empty when nothing was recorded.
     */
    public List<TlsReport.PolicyResults> results(LocalDate day, String policyDomain) {
        return tables().results.read(day, policyDomain);
    }

    /** The policy domains with results on {@code day} (one partition read). */
    public List<String> domainsWithResults(LocalDate day) {
        return tables().results.domains(day);
    }

    /**
     * The report of {@code day} for {@code policyDomain} (RFC 8460 §4.4), or empty when there are no
     * results. The id and date range come from {@link ReportId}.
     */
    public Optional<TlsReport> report(LocalDate day, String policyDomain, String organizationName, String contactInfo,
                                      String submitter) {
        List<TlsReport.PolicyResults> r = results(day, policyDomain);
        return r.isEmpty() ? Optional.empty() : Optional.of(report(day, policyDomain, r, organizationName, contactInfo, submitter));
    }

    static TlsReport report(LocalDate day, String policyDomain, List<TlsReport.PolicyResults> results,
                            String organizationName, String contactInfo, String submitter) {
        return new TlsReport(organizationName, ReportId.start(day), ReportId.end(day), contactInfo,
                ReportId.of(day, policyDomain, submitter), results);
    }

    /** Where the report of (day, domain) stands, read serially; empty when no node touched it. */
    public Optional<SendState> sendState(LocalDate day, String policyDomain) {
        return Optional.ofNullable(tables().sends.state(day, policyDomain));
    }

    /** Every report state of {@code day}, by policy domain. */
    public Map<String, SendState> sendStates(LocalDate day) {
        return tables().sends.states(day);
    }

    /** Seconds left to live of one result row of (day, domain); empty when there is none (tests, admin). */
    public Optional<Integer> resultTtl(LocalDate day, String policyDomain) {
        return Optional.ofNullable(tables().results.ttlOfAny(day, policyDomain));
    }

    /**
     * The TTL of a row about {@code day} written at {@code now}: it expires {@code retention} after the
     * end of its day, whenever it is written (so a late rewrite does not extend it); 0 when already past.
     */
    static int ttlSeconds(LocalDate day, Instant now, Duration retention) {
        long s = Duration.between(now, ReportId.start(day.plusDays(1)).plus(retention)).getSeconds();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, s));
    }
}
