package dev.jamesmtasts.reporting;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * Where the report of one (UTC day, policy domain) stands ({@code tlsrpt_sends}): which node claimed
 * it and until when, whether and where it was sent, how many attempts failed and why.
 */
public final class SendState {
    /** The states of a report. Terminal: {@link #SENT}, {@link #GAVE_UP}, {@link #NO_RECORD}, {@link #SKIPPED}. */
    public enum State {
        /** A node is sending it (until {@code leaseUntil}; then another node may take over). */
        CLAIMED,
        /** Delivered to at least one rua ({@code sentTo}). */
        SENT,
        /** The last attempt failed; retried from {@code retryAt}. */
        FAILED,
        /** {@link TlsRptSettings#maxAttempts()} attempts failed, or every rua is suppressed: not sent. */
        GAVE_UP,
        /** The policy domain publishes no TLS-RPT record (RFC 8460 §3): nothing to send. */
        NO_RECORD,
        /** A day without failures with {@code sendSuccessOnlyReports=false}: not sent. */
        SKIPPED;

        boolean terminal() {
            return this == SENT || this == GAVE_UP || this == NO_RECORD || this == SKIPPED;
        }
    }

    private final LocalDate day;
    private final String policyDomain;
    private final State state;
    private final String owner;
    private final Instant claimedAt;
    private final Instant leaseUntil;
    private final int attempts;
    private final Instant retryAt;
    private final Instant sentAt;
    private final List<String> sentTo;
    private final String lastError;
    private final String reportId;

    SendState(LocalDate day, String policyDomain, State state, String owner, Instant claimedAt, Instant leaseUntil,
              int attempts, Instant retryAt, Instant sentAt, List<String> sentTo, String lastError, String reportId) {
        this.day = day;
        this.policyDomain = policyDomain;
        this.state = state;
        this.owner = owner;
        this.claimedAt = claimedAt;
        this.leaseUntil = leaseUntil;
        this.attempts = attempts;
        this.retryAt = retryAt;
        this.sentAt = sentAt;
        this.sentTo = sentTo == null ? List.of() : List.copyOf(sentTo);
        this.lastError = lastError;
        this.reportId = reportId;
    }

    public LocalDate day() { return day; }
    public String policyDomain() { return policyDomain; }
    public State state() { return state; }
    /** The node (run id) that claimed it last. */
    public String owner() { return owner; }
    public Instant claimedAt() { return claimedAt; }
    /** Null once the claim ended. */
    public Instant leaseUntil() { return leaseUntil; }
    /** Failed attempts so far. */
    public int attempts() { return attempts; }
    /** When a {@link State#FAILED} report is tried again. */
    public Instant retryAt() { return retryAt; }
    public Instant sentAt() { return sentAt; }
    /** The rua URIs that accepted the report. */
    public List<String> sentTo() { return sentTo; }
    /** The last failure, already made safe ({@code SafeText}). */
    public String lastError() { return lastError; }
    public String reportId() { return reportId; }

    @Override
    public String toString() {
        return day + " " + policyDomain + " " + state.name().toLowerCase(java.util.Locale.ROOT) + " owner=" + owner
                + " attempts=" + attempts + (sentTo.isEmpty() ? "" : " sentTo=" + sentTo)
                + (lastError == null ? "" : " lastError=" + lastError);
    }
}
