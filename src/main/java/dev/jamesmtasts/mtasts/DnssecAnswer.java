package dev.jamesmtasts.mtasts;

import java.util.List;

import org.xbill.DNS.Record;

/**
 * The outcome of one DNSSEC-validated lookup ({@link DnssecResolver}), typed so that a caller can
 * never read a failure as "no record" or an unsigned answer as a secure one (RFC 7672 §2.1: DANE
 * applies only to records whose validation status is "secure", RFC 4035 §4.3).
 *
 * <ul>
 *   <li>{@link Status#SECURE}: records found and validated (the validator set AD);</li>
 *   <li>{@link Status#INSECURE}: records found, provably unsigned (an insecure delegation on the way,
 *       RFC 4035 §5.2); usable as plain DNS, never for DANE;</li>
 *   <li>{@link Status#NXDOMAIN} / {@link Status#NODATA}: the name / the type does not exist;
 *       {@link #authenticated()} says whether the denial itself was validated (NSEC/NSEC3 proof,
 *       RFC 4035 §5.4) or came from an unsigned zone;</li>
 *   <li>{@link Status#BOGUS}: validation failed (bad or expired signature, missing signature in a
 *       signed zone, broken chain of trust, RFC 4035 §5.5); {@link #detail()} holds the validator's
 *       reason;</li>
 *   <li>{@link Status#TEMPORARY}: no answer in time, a SERVFAIL not caused by validation, a CNAME
 *       loop: try again later. Never secure, never "no record".</li>
 * </ul>
 *
 * {@link #detail()} is safe to log: any text that came from the network went through {@link SafeText}.
 */
public final class DnssecAnswer {
    /** See the class comment. */
    public enum Status { SECURE, INSECURE, BOGUS, TEMPORARY, NXDOMAIN, NODATA }

    private final Status status;
    private final List<Record> records;
    private final boolean authenticated;
    private final String owner;
    private final String detail;
    private final long ttlSeconds;

    DnssecAnswer(Status status, List<Record> records, boolean authenticated, String owner, String detail) {
        this(status, records, authenticated, owner, detail, 0);
    }

    DnssecAnswer(Status status, List<Record> records, boolean authenticated, String owner, String detail,
                 long ttlSeconds) {
        this.status = status;
        this.records = List.copyOf(records);
        this.authenticated = authenticated;
        this.owner = owner;
        this.detail = detail;
        this.ttlSeconds = Math.max(0, ttlSeconds);
    }

    public Status status() {
        return status;
    }

    /** The records of the asked type (SECURE and INSECURE only; empty otherwise). */
    public List<Record> records() {
        return records;
    }

    /**
     * Whether the validator authenticated this answer: always for SECURE, never for INSECURE, BOGUS
     * and TEMPORARY; for NXDOMAIN and NODATA, whether the denial was proven (RFC 4035 §5.4).
     */
    public boolean authenticated() {
        return authenticated;
    }

    /**
     * The name the answer is about, after following CNAMEs (the TLSA base domain of RFC 7672 §2.2.2
     * when the lookup followed a CNAME), in presentation form with the trailing dot.
     */
    public String owner() {
        return owner;
    }

    /**
     * How long this answer may be reused, in seconds: for records the smallest TTL of the RRset (RFC 2181
     * §5.2), for NXDOMAIN and NODATA the negative TTL of the zone's SOA (RFC 2308 §5: the smaller of the
     * SOA's TTL and its minimum field); 0 for BOGUS and TEMPORARY (the caller decides, RFC 4035 §4.7) and
     * when nothing says.
     */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    /** What happened, for logs and reports; network text sanitised. */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return status + (authenticated && status != Status.SECURE ? " (authenticated)" : "") + ": " + detail;
    }
}
