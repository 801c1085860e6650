package dev.jamesmtasts.mtasts;

import java.util.Objects;

/**
 * What a TXT lookup of {@code _mta-sts.<domain>} found (RFC 8461 §3.1, §3.3).
 *
 * <p>Only {@link Kind#TEMPORARY_ERROR} means "we do not know": SERVFAIL, a time-out or a refused
 * query must never be read as "the domain has no policy", or an attacker who blocks DNS could
 * downgrade delivery.
 */
public final class RecordLookupResult {
    /** The outcomes a sender must tell apart. */
    public enum Kind {
        /** Exactly one valid STS record. */
        FOUND,
        /** NXDOMAIN, NODATA, or TXT data none of which starts with v=STSv1. */
        NO_RECORD,
        /** More than one STS record: RFC 8461 §3.1 says the domain then has no policy. */
        MULTIPLE_RECORDS,
        /** One STS record that does not parse: the domain has no (usable) policy. */
        INVALID_RECORD,
        /** SERVFAIL, time-out, refused, network error: nothing can be concluded. */
        TEMPORARY_ERROR
    }

    private final Kind kind;
    private final StsRecord record;
    private final String reason;

    private RecordLookupResult(Kind kind, StsRecord record, String reason) {
        this.kind = kind;
        this.record = record;
        // The one guard on what DNS text reaches a reason (logs, bounces, the CLI): the parts are
        // escaped where they are quoted; this catches anything else (a resolver's exception text).
        this.reason = SafeText.display(reason);
    }

    public static RecordLookupResult found(StsRecord record) {
        return new RecordLookupResult(Kind.FOUND, Objects.requireNonNull(record), "record id " + record.id());
    }

    public static RecordLookupResult noRecord(String reason) {
        return new RecordLookupResult(Kind.NO_RECORD, null, reason);
    }

    public static RecordLookupResult multipleRecords(String reason) {
        return new RecordLookupResult(Kind.MULTIPLE_RECORDS, null, reason);
    }

    public static RecordLookupResult invalidRecord(String reason) {
        return new RecordLookupResult(Kind.INVALID_RECORD, null, reason);
    }

    public static RecordLookupResult temporaryError(String reason) {
        return new RecordLookupResult(Kind.TEMPORARY_ERROR, null, reason);
    }

    public Kind kind() {
        return kind;
    }

    /** The record when {@link #kind()} is FOUND, else null. */
    public StsRecord record() {
        return record;
    }

    /** Human-readable detail, for logs and the command-line tool. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return kind + ": " + reason;
    }
}
