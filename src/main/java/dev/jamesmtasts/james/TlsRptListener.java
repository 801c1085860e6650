package dev.jamesmtasts.james;

import java.time.Instant;
import java.util.List;

import javax.inject.Inject;

import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.tlsrpt.AppliedPolicies;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.ResultSink;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * Feeds the TLS-RPT results of every delivery attempt ({@link TlsRptResults}) to the bound
 * {@link ResultSink} (RFC 8460: counted per policy domain and UTC day, reported daily). Bound in the
 * {@code Set<DeliveryAttemptListener>} by {@link MtaStsModule}; the sink is {@link ResultSink#NONE}
 * while {@code tlsrpt.enabled=false}, and then nothing is even mapped.
 *
 * <p>Attempts to deliver a TLS-RPT report are never recorded ({@link DeliveryAttemptReport#tlsReport()},
 * set from {@link dev.jamesmtasts.tlsrpt.ReportMail}): a report about a domain whose MX fails would
 * otherwise add a failure to the next report about it, for ever (RFC 8460 §5.3 report mails; mox does
 * the same).
 *
 * <p>Runs on the delivery thread: it maps (no I/O; the domain's {@code AppliedPolicy} reused from earlier
 * attempts, so a successful session under a known policy allocates only the result list) and hands over
 * to the sink, whose contract is to return at once (the recorder counts in memory; its store writes run
 * on its own flush thread); it never throws (a failing sink is logged, at most once a minute, and the delivery goes on).
 */
public final class TlsRptListener implements DeliveryAttemptListener {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsRptListener.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;
    private static final AttributeName REPORT_ATTRIBUTE = AttributeName.of(ReportMail.ATTRIBUTE);

    private final ResultSink sink;
    /** Each domain's applied policy, reused while it does not change (bounded). */
    private final AppliedPolicies policies = new AppliedPolicies(AppliedPolicies.DEFAULT_MAX_DOMAINS);
    private volatile long nextLogAt = System.nanoTime();

    @Inject
    public TlsRptListener(ResultSink sink) {
        this.sink = sink;
    }

    @Override
    public void onAttempt(DeliveryAttemptReport report) {
        if (sink == ResultSink.NONE || report.tlsReport()) {
            return;
        }
        try {
            List<SessionResult> results = TlsRptResults.of(report, policies);
            Instant when = report.time();
            for (int i = 0; i < results.size(); i++) {
                sink.record(when, results.get(i));
            }
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - nextLogAt >= 0) {
                nextLogAt = now + LOG_EVERY_NANOS;
                LOGGER.warn("TLS-RPT: the results of an attempt to deliver to {} were not recorded", report.domain(), e);
            }
        }
    }

    /**
     * True when {@code mail} is a TLS-RPT report of this server: it carries the {@link ReportMail#ATTRIBUTE}
     * attribute, which only our own pipeline sets ({@link TlsRptDelivery}). The RFC 8460 §5.3 headers
     * ({@code TLS-Report-Domain}, {@code TLS-Required: No}) are not a mark: anyone relaying through James can
     * write them, and would then keep their mail out of the reports and out of MTA-STS/DANE enforcement
     * ({@link PolicyDecider}). Never throws.
     */
    static boolean isTlsReport(Mail mail) {
        return mail.getAttribute(REPORT_ATTRIBUTE).isPresent();
    }
}
