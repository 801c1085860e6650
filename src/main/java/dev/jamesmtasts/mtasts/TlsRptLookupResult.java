package dev.jamesmtasts.mtasts;

import java.util.Objects;

/**
 * What a TXT lookup of {@code _smtp._tls.<domain>} found (RFC 8460 §3): whether, and where, the domain
 * wants TLS reports.
 *
 * <p>Only {@link Kind#TEMPORARY} means "we do not know": a report day must then be retried later,
 * never dropped as if the domain had asked for none (a blocked DNS query is no opt-out).
 */
public final class TlsRptLookupResult {
    /** The outcomes a report sender must tell apart. */
    public enum Kind {
        /** Exactly one TLS-RPT record, valid, with at least one usable {@code rua}. */
        FOUND,
        /**
         * NXDOMAIN, NODATA, TXT data none of which starts with {@code v=TLSRPTv1}, or more than one
         * TLS-RPT record (RFC 8460 §3: the domain then does not implement TLS-RPT).
         */
        NONE,
        /** One TLS-RPT record that breaks RFC 8460 §3 or a bound, or has no usable {@code rua}: no report can be sent. */
        INVALID,
        /** SERVFAIL, time-out, refused, network error: nothing can be concluded. */
        TEMPORARY
    }

    private final Kind kind;
    private final TlsRptRecord record;
    private final String reason;

    private TlsRptLookupResult(Kind kind, TlsRptRecord record, String reason) {
        this.kind = kind;
        this.record = record;
        // As in RecordLookupResult: the one guard on what DNS text reaches a reason.
        this.reason = SafeText.display(reason);
    }

    public static TlsRptLookupResult found(TlsRptRecord record) {
        return new TlsRptLookupResult(Kind.FOUND, Objects.requireNonNull(record), record.toString());
    }

    public static TlsRptLookupResult none(String reason) {
        return new TlsRptLookupResult(Kind.NONE, null, reason);
    }

    public static TlsRptLookupResult invalid(String reason) {
        return new TlsRptLookupResult(Kind.INVALID, null, reason);
    }

    public static TlsRptLookupResult temporary(String reason) {
        return new TlsRptLookupResult(Kind.TEMPORARY, null, reason);
    }

    public Kind kind() {
        return kind;
    }

    /** The record when {@link #kind()} is FOUND, else null. */
    public TlsRptRecord record() {
        return record;
    }

    /** Human-readable detail, safe to log or show. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return kind + ": " + reason;
    }
}
