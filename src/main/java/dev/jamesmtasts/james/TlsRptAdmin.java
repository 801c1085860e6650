package dev.jamesmtasts.james;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import javax.inject.Inject;
import javax.inject.Singleton;

import dev.jamesmtasts.reporting.ReportDay;
import dev.jamesmtasts.reporting.ReportStore;
import dev.jamesmtasts.reporting.ReportView;
import dev.jamesmtasts.reporting.SendOutcome;
import dev.jamesmtasts.reporting.SendState;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * The TLS-RPT (RFC 8460) admin operations behind the MBean and WebAdmin: list a day's reports, show
 * one as it would be sent, send now. Reads this node's {@link TlsRptReporting}
 * ({@link MtaStsBackend#tlsRpt()}); answers {@link Disabled} when there is none
 * ({@code tlsrpt.enabled=false}). Rows in the shape of {@link ReportView}; days read by {@link ReportDay}.
 */
@Singleton
public class TlsRptAdmin {
    /** TLS-RPT is off on this node: WebAdmin answers 404, the MBean a clear error. */
    static final class Disabled extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Disabled() {
            super("TLS-RPT reporting is not enabled on this James node (tlsrpt.enabled=false in mta-sts.properties)");
        }
    }

    private final MtaStsBackend backend;
    private final Clock clock;

    @Inject
    public TlsRptAdmin(MtaStsBackend backend) {
        this(backend, Clock.systemUTC());
    }

    TlsRptAdmin(MtaStsBackend backend, Clock clock) {
        this.backend = backend;
        this.clock = clock;
    }

    private TlsRptReporting reporting() {
        return backend.tlsRpt().orElseThrow(Disabled::new);
    }

    LocalDate day(String text) {
        return ReportDay.parse(text, clock);
    }

    /** Every report of {@code day}: the domains with results or a send state, in domain order. */
    public List<Map<String, Object>> list(String day) {
        LocalDate d = day(day);
        ReportStore store = reporting().store();
        Map<String, SendState> states = store.sendStates(d);
        TreeSet<String> domains = new TreeSet<>(store.domainsWithResults(d));
        domains.addAll(states.keySet());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String domain : domains) {
            rows.add(ReportView.row(d, domain, store.results(d, domain), states.get(domain)));
        }
        return rows;
    }

    /** One report with its RFC 8460 JSON as it would be sent; empty when nothing is known of it. */
    public Map<String, Object> show(String domain, String day) {
        String name = MtaSts.domain(domain);
        LocalDate d = day(day);
        TlsRptReporting r = reporting();
        List<TlsReport.PolicyResults> results = r.store().results(d, name);
        Optional<SendState> state = r.store().sendState(d, name);
        if (results.isEmpty() && state.isEmpty()) {
            return new LinkedHashMap<>();
        }
        TlsReport report = results.isEmpty() ? null : r.scheduler().report(d, name, results, state.orElse(null));
        return ReportView.show(d, name, results, state.orElse(null), report);
    }

    /**
     * Flushes this node's recorder (so that its counts of the day are in the store), then sends the
     * report(s) of {@code day} now: of {@code domainOrEmpty}, or of every domain with results.
     */
    public List<Map<String, Object>> sendNow(String domainOrEmpty, String day, boolean force) {
        String only = domainOrEmpty == null || domainOrEmpty.trim().isEmpty() ? null : MtaSts.domain(domainOrEmpty);
        LocalDate d = day(day);
        TlsRptReporting r = reporting();
        r.recorder().flush();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (SendOutcome o : r.scheduler().sendNow(d, only, force)) {
            rows.add(ReportView.outcome(o));
        }
        return rows;
    }

    /** The TLS-RPT counters of this node by metric name (empty while TLS-RPT is off). */
    public Map<String, Long> counters() {
        return backend.tlsRpt().map(TlsRptMetrics::snapshot).orElse(Map.of());
    }
}
