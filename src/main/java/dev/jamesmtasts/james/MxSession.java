package dev.jamesmtasts.james;

import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * Which session one MX host gets in a delivery attempt, or why it is skipped without connecting: the
 * per-host rule of {@link PolicyAwareMailDelivrerToHost}, written once so that {@link DomainCheck} says
 * what the delivery would do. In order:
 * <ol>
 *   <li>DANE first (RFC 8461 §2: DANE takes precedence for hosts with usable TLSA records): a host whose
 *       DANE decision failed (bogus or unanswered lookups, DANE required and missing, RFC 7672 §2.1.1) is
 *       skipped;</li>
 *   <li>under an {@code enforce} policy, a host that matches no {@code mx} pattern is skipped unless its
 *       TLSA records authenticate it (RFC 8461 §4.1);</li>
 *   <li>the session: DANE's when usable TLSA records authenticate the host, or when secure TLSA records
 *       require TLS (RFC 7672 §2.2) and no enforce policy authenticates it; the strict one under enforce
 *       (STARTTLS + PKIX for the MX name, RFC 8461 §4.2) or when TLSA records require TLS; else the usual
 *       one. Under enforce or DANE TLS, any failure skips to the next MX ({@link #failClosed}).</li>
 * </ol>
 * Immutable.
 */
final class MxSession {
    /** The JavaMail session the host gets. */
    enum Kind {
        /** STARTTLS required, the chain checked against the TLSA records only (no PKIX). */
        DANE,
        /** STARTTLS required, PKIX-valid certificate for the MX name, TLS 1.2+ (RFC 8461 §4.2). */
        STRICT,
        /** The mailet's usual session, as RemoteDelivery's. */
        USUAL
    }

    /** Why the host is skipped without connecting, or null. */
    final String skip;
    /** The session, when not skipped. */
    final Kind kind;
    /** A failure of this host skips to the next MX (never falls back to a weaker session). */
    final boolean failClosed;
    /** Secure TLSA records (usable or not) require TLS (RFC 7672 §2.2). */
    final boolean daneTls;

    private MxSession(String skip, Kind kind, boolean failClosed, boolean daneTls) {
        this.skip = skip;
        this.kind = kind;
        this.failClosed = failClosed;
        this.daneTls = daneTls;
    }

    /**
     * @param enforce whether an enforce policy applies to the attempt
     * @param policy  the policy applied or observed, or null
     * @param matched whether the host matches one of its {@code mx} patterns
     * @param dane    the host's DANE decision ({@link AttemptContext#daneHost}), null when DANE does not apply
     */
    static MxSession of(boolean enforce, StsPolicy policy, boolean matched, DaneHost dane) {
        if (dane != null && dane.status() == DaneHost.Status.FAILED) {
            return new MxSession("DANE: " + dane.detail(), null, true, true);
        }
        // RFC 8461 §2: usable TLSA records authenticate this host, whatever an MTA-STS policy says of it.
        boolean daneAuthenticates = dane != null && dane.status() == DaneHost.Status.USABLE;
        boolean daneTls = dane != null && dane.requiresTls();
        if (enforce && !matched && !daneAuthenticates) {
            return new MxSession(notListed(policy), null, true, daneTls);
        }
        Kind kind = daneAuthenticates || (daneTls && !enforce) ? Kind.DANE
                : enforce || daneTls ? Kind.STRICT : Kind.USUAL;
        return new MxSession(null, kind, enforce || daneTls, daneTls);
    }

    /** Why an MX host the policy does not list is not used under enforce (RFC 8461 §4.1), as delivery and check say it. */
    static String notListed(StsPolicy policy) {
        return "not listed in the policy's mx patterns [" + SafeText.list(policy.mx(), SafeText.LIST_MAX) + "]";
    }
}
