package dev.jamesmtasts.tlsrpt;

import java.util.Locale;
import java.util.Optional;

import dev.jamesmtasts.mtasts.FetchFailure;

/**
 * The STARTTLS validation result types of RFC 8460 §4.3 (IANA "STARTTLS Validation Result Types"),
 * named as they appear in a report's {@code result-type} field ({@link #label()}).
 */
public enum ResultType {
    // RFC 8460 §4.3.1: negotiation failures.
    /** The receiving MX did not offer STARTTLS (or the offer was stripped on the path). */
    STARTTLS_NOT_SUPPORTED,
    /** The certificate names no identifier matching the MX host (RFC 8461 §4.2). */
    CERTIFICATE_HOST_MISMATCH,
    /** The certificate has expired (or is not yet valid). */
    CERTIFICATE_EXPIRED,
    /** The chain does not lead to a trusted root. */
    CERTIFICATE_NOT_TRUSTED,
    /** Any other validation failure (handshake failure, TLS older than 1.2, MX outside the policy). */
    VALIDATION_FAILURE,
    // RFC 8460 §4.3.2: policy failures, DANE.
    /** The TLSA record set is not usable (RFC 7672). */
    TLSA_INVALID,
    /** DNSSEC validation of the TLSA or MX records failed (bogus). */
    DNSSEC_INVALID,
    /** DANE is required (usable TLSA) but the session could not satisfy it. */
    DANE_REQUIRED,
    // RFC 8460 §4.3.2: policy failures, MTA-STS.
    /** The policy could not be fetched (DNS, TCP, HTTP status, time-out, size). */
    STS_POLICY_FETCH_ERROR,
    /** The fetched policy does not parse (RFC 8461 §3.2). */
    STS_POLICY_INVALID,
    /** The policy host's certificate is not valid for {@code mta-sts.<domain>} (RFC 8461 §3.3). */
    STS_WEBPKI_INVALID;

    private final String label = name().toLowerCase(Locale.ROOT).replace('_', '-');

    /** The RFC 8460 name, e.g. {@code starttls-not-supported}. */
    public String label() {
        return label;
    }

    /**
     * The RFC 8460 §4.3.2.2 type of a failed MTA-STS policy fetch (the one mapping): the policy host's
     * certificate failed PKIX validation (RFC 8461 §3.3) = sts-webpki-invalid; the body does not parse
     * as a policy (RFC 8461 §3.2) = sts-policy-invalid; anything else (DNS, TCP, HTTP status, redirect,
     * media type, size, time-out, or not known: null) = sts-policy-fetch-error.
     */
    public static ResultType ofPolicyFetch(FetchFailure failure) {
        if (failure == FetchFailure.TLS) {
            return STS_WEBPKI_INVALID;
        }
        if (failure == FetchFailure.SYNTAX) {
            return STS_POLICY_INVALID;
        }
        return STS_POLICY_FETCH_ERROR;
    }

    /** The type with RFC 8460 name {@code label}, or empty. */
    public static Optional<ResultType> fromLabel(String label) {
        for (ResultType t : values()) {
            if (t.label.equals(label)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
