package dev.jamesmtasts.dane;

/**
 * The outcome of checking an SMTP server's certificate chain against the TLSA records of its MX host
 * ({@link TlsaVerifier}, RFC 7672 §3). {@link #reason()} is safe to log (no network text unescaped).
 */
public final class TlsaVerification {
    /** What the check found. */
    public enum Outcome {
        /** A usable record matched ({@link #usage()}, {@link #selector()}, {@link #matchingType()} say which). */
        MATCHED,
        /**
         * None of the records is usable for SMTP (RFC 7672 §2.2, §3.1.3: PKIX-TA/PKIX-EE, unknown
         * parameters, malformed data): DANE does not authenticate this server.
         */
        NO_USABLE_RECORDS,
        /** Usable records exist and none matches the chain (or the chain from a matching TA is invalid). */
        MISMATCH,
        /**
         * A DANE-TA(2) record matched and the chain validated from it, but the server certificate names
         * neither the MX host nor the TLSA base domain (RFC 7672 §3.2.2).
         */
        NAME_MISMATCH
    }

    private final Outcome outcome;
    private final int usage;
    private final int selector;
    private final int matchingType;
    private final String reason;

    private TlsaVerification(Outcome outcome, int usage, int selector, int matchingType, String reason) {
        this.outcome = outcome;
        this.usage = usage;
        this.selector = selector;
        this.matchingType = matchingType;
        this.reason = reason;
    }

    static TlsaVerification matched(int usage, int selector, int matchingType, String reason) {
        return new TlsaVerification(Outcome.MATCHED, usage, selector, matchingType, reason);
    }

    static TlsaVerification failed(Outcome outcome, String reason) {
        return new TlsaVerification(outcome, -1, -1, -1, reason);
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Whether the server is authenticated by DANE. */
    public boolean matched() {
        return outcome == Outcome.MATCHED;
    }

    /** The certificate usage of the matching record (2 DANE-TA or 3 DANE-EE); -1 unless MATCHED. */
    public int usage() {
        return usage;
    }

    /** The selector of the matching record (0 Cert, 1 SPKI); -1 unless MATCHED. */
    public int selector() {
        return selector;
    }

    /** The matching type of the matching record (0 Full, 1 SHA2-256, 2 SHA2-512); -1 unless MATCHED. */
    public int matchingType() {
        return matchingType;
    }

    /** Why, for logs and TLS-RPT failure details. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return outcome + (matched() ? "(" + usage + " " + selector + " " + matchingType + ")" : "") + ": " + reason;
    }
}
