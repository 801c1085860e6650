package dev.jamesmtasts.reporting;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;

/** What the scheduler did about the report of one (UTC day, policy domain) in one pass. */
public final class SendOutcome {
    /** The kinds of outcome. */
    public enum Kind {
        /** Sent to at least one rua. */
        SENT,
        /** This attempt failed; retried later. */
        FAILED,
        /** Failed for the last time, or every rua is suppressed. */
        GAVE_UP,
        /** The domain publishes no TLS-RPT record. */
        NO_RECORD,
        /** No failure that day and success-only reports are off. */
        SKIPPED,
        /** Nothing recorded for the domain that day. */
        NO_RESULTS,
        /** Already finished, held by another node, or its retry is not due: nothing done. */
        NOT_DUE,
        /** The store did not answer: nothing done (the next pass tries again). */
        STORE_ERROR
    }

    private final LocalDate day;
    private final String policyDomain;
    private final Kind kind;
    private final List<String> sentTo;
    private final String reason;
    private final String reportId;
    private final Instant interimEnd;

    SendOutcome(LocalDate day, String policyDomain, Kind kind, List<String> sentTo, String reason, String reportId) {
        this(day, policyDomain, kind, sentTo, reason, reportId, null);
    }

    /** @param interimEnd the end of an interim report's date-range; null for the day's own report */
    SendOutcome(LocalDate day, String policyDomain, Kind kind, List<String> sentTo, String reason, String reportId,
                Instant interimEnd) {
        this.day = day;
        this.policyDomain = policyDomain;
        this.kind = kind;
        this.sentTo = sentTo == null ? List.of() : List.copyOf(sentTo);
        this.reason = reason;
        this.reportId = reportId;
        this.interimEnd = interimEnd;
    }

    public LocalDate day() { return day; }
    public String policyDomain() { return policyDomain; }
    public Kind kind() { return kind; }
    /** The rua URIs that accepted the report. */
    public List<String> sentTo() { return sentTo; }
    /** Why (safe text), or null. */
    public String reason() { return reason; }
    /** The report-id, when a report was built. */
    public String reportId() { return reportId; }
    /**
     * About an interim report (a send-now before the day ended): its RFC 8460 §4.4 date-range end, the
     * time it was built; the day's own report follows after the day. Null for the day's own report.
     */
    public Instant interimEnd() { return interimEnd; }
    public boolean interim() { return interimEnd != null; }

    @Override
    public String toString() {
        return day + " " + policyDomain + " " + kind.name().toLowerCase(Locale.ROOT)
                + (interimEnd == null ? "" : " interim until " + interimEnd)
                + (sentTo.isEmpty() ? "" : " to " + sentTo) + (reason == null ? "" : ": " + reason);
    }
}
