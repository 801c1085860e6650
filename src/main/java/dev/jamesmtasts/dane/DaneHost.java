package dev.jamesmtasts.dane;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.xbill.DNS.TLSARecord;

/**
 * What DANE (RFC 7672) asks of the session with one MX host, decided by {@link DanePolicy#host}:
 * <ul>
 *   <li>{@link Status#NOT_APPLICABLE}: no DANE for this host (its domain's MX RRset or its own records are
 *       not signed, or it publishes no TLSA records): the session is what it would be without DANE
 *       (MTA-STS, when the domain has a policy, RFC 8461 §2);</li>
 *   <li>{@link Status#USABLE}: secure TLSA records, at least one usable (RFC 7672 §3.1): STARTTLS is
 *       required and the server is authenticated by {@link #verify} alone (no PKIX, no name check for
 *       DANE-EE); never plaintext (RFC 7672 §2.2);</li>
 *   <li>{@link Status#UNUSABLE}: secure TLSA records, none usable: STARTTLS is still required, the
 *       certificate is not authenticated by DANE (RFC 7672 §2.2, §3.1.3); MTA-STS may authenticate it;</li>
 *   <li>{@link Status#FAILED}: this host must not be used ({@link #failure()} says why): its records are
 *       bogus or could not be looked up (RFC 7672 §2.1.1), or DANE is required and it has none usable.</li>
 * </ul>
 * Immutable; {@link #detail()} and {@link #toString()} are safe to log.
 */
public final class DaneHost {
    /** See the class comment. */
    public enum Status { NOT_APPLICABLE, USABLE, UNUSABLE, FAILED }

    /** Why a host is {@link Status#FAILED}. */
    public enum Failure {
        /** A validation failure (bogus address or TLSA records, RFC 4035 §5.5): RFC 8460 {@code dnssec-invalid}. */
        DNSSEC_INVALID,
        /** No validated answer in time (RFC 7672 §2.1.1: "indeterminate"): retried later, not reported. */
        LOOKUP_FAILED,
        /** DANE required by local configuration, no usable TLSA records: RFC 8460 {@code dane-required}. */
        DANE_REQUIRED,
        /**
         * The host James resolved is not what the validated DNS says (not in the secure MX RRset, or proven
         * to have no address): used, it could be an attacker's substitute (RFC 7672 §2.2.1). Not reported
         * (our resolvers disagree, the domain is not at fault).
         */
        DNS_MISMATCH
    }

    private final String host;
    private final Status status;
    private final Failure failure;
    private final List<TLSARecord> records;
    private final String tlsaBase;
    private final List<String> referenceNames;
    private final String detail;

    DaneHost(String host, Status status, Failure failure, List<TLSARecord> records, String tlsaBase,
             List<String> referenceNames, String detail) {
        this.host = host;
        this.status = status;
        this.failure = failure;
        this.records = List.copyOf(records);
        this.tlsaBase = tlsaBase;
        this.referenceNames = List.copyOf(referenceNames);
        this.detail = detail;
    }

    static DaneHost notApplicable(String host, String detail) {
        return new DaneHost(host, Status.NOT_APPLICABLE, null, List.of(), null, List.of(), detail);
    }

    static DaneHost failed(String host, Failure failure, String tlsaBase, String detail) {
        return new DaneHost(host, Status.FAILED, failure, List.of(), tlsaBase, List.of(), detail);
    }

    /** The MX host name (lower case, no trailing dot). */
    public String host() {
        return host;
    }

    public Status status() {
        return status;
    }

    /** Why the host must not be used; null unless {@link Status#FAILED}. */
    public Failure failure() {
        return failure;
    }

    /** Whether the session must use STARTTLS (secure TLSA records, usable or not: RFC 7672 §2.2). */
    public boolean requiresTls() {
        return status == Status.USABLE || status == Status.UNUSABLE;
    }

    /**
     * The TLSA base domain (RFC 7672 §2.2.2, the MX host or its CNAME-expanded name; lower case, no trailing
     * dot): the {@code policy-domain} of RFC 8460 {@code tlsa} results. Null when no TLSA lookup was made.
     */
    public String tlsaBase() {
        return tlsaBase;
    }

    /**
     * The TLSA records in presentation form ({@code 3 1 1 0A1B...}), usable or not: the RFC 8460 §4.4
     * {@code policy-string} of a {@code tlsa} policy. Empty unless USABLE or UNUSABLE.
     */
    public List<String> policyStrings() {
        List<String> out = new ArrayList<>(records.size());
        for (TLSARecord r : records) {
            out.add(r.rdataToString());
        }
        return out;
    }

    /**
     * For each record of {@link #policyStrings()}, in the same order, whether SMTP may use it (RFC 7672
     * §3.1, {@link TlsaVerifier}): what {@code mta-sts check} lists.
     */
    public List<Boolean> usability() {
        List<Boolean> out = new ArrayList<>(records.size());
        for (TLSARecord r : records) {
            out.add(TlsaVerifier.usable(r));
        }
        return out;
    }

    /** The names a DANE-TA server certificate may carry (RFC 7672 §3.2.2): the MX host and the TLSA base domain. */
    public List<String> referenceNames() {
        return referenceNames;
    }

    /**
     * Checks the server's chain (its own certificate first) against the records (RFC 7672 §3). Only for
     * {@link Status#USABLE} (else NO_USABLE_RECORDS).
     */
    public TlsaVerification verify(List<X509Certificate> chain) {
        return TlsaVerifier.verify(records, chain, referenceNames);
    }

    /** What was found, in words (network text escaped). */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return "DANE " + status.name().toLowerCase(Locale.ROOT).replace('_', '-')
                + (failure == null ? "" : "(" + failure.name().toLowerCase(Locale.ROOT).replace('_', '-') + ")")
                + ": " + detail;
    }
}
