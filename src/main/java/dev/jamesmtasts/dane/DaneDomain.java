package dev.jamesmtasts.dane;

import java.util.Set;

/**
 * What DANE (RFC 7672) says of a recipient domain before any MX host is tried: whether its MX RRset is
 * secure (then each MX host is looked at, {@link DanePolicy#host}), insecure (DANE does not apply), or
 * could not be validated (the delivery is deferred). Built by {@link DanePolicy#domain}; immutable;
 * {@link #detail()} is safe to log.
 */
public final class DaneDomain {
    /** The MX lookup's verdict. */
    public enum Status {
        /** DANE is not used for this domain: switched off, or DNSSEC validation is not available. */
        OFF,
        /**
         * The MX RRset (or the proof that there is none) is not signed: DANE does not apply to the domain's
         * hosts (RFC 7672 §2.2.1: an attacker could have substituted them).
         */
        INSECURE,
        /**
         * The MX RRset validated (RFC 7672 §2.2.1), or its absence was proven, in which case the domain
         * itself is the host (RFC 5321 §5.1 implicit MX, RFC 7672 §2.2.2 non-MX destination): each host's
         * TLSA records decide ({@link #hosts()}).
         */
        SECURE,
        /** Validation failed (RFC 4035 §5.5): the delivery is deferred, never sent without DANE (RFC 7672 §2.1.1). */
        BOGUS,
        /** No validated answer (time-out, SERVFAIL): whether DANE applies is unknown; deferred (RFC 7672 §2.1.1). */
        TEMPORARY
    }

    private final String domain;
    private final Status status;
    private final boolean required;
    private final Set<String> hosts;
    private final String detail;

    DaneDomain(String domain, Status status, boolean required, Set<String> hosts, String detail) {
        this.domain = domain;
        this.status = status;
        this.required = required;
        this.hosts = Set.copyOf(hosts);
        this.detail = detail;
    }

    /** DANE not used for {@code domain}, {@code why} (a constant text, or escaped by the caller). */
    public static DaneDomain off(String domain, String why) {
        return new DaneDomain(domain, Status.OFF, false, Set.of(), why);
    }

    /**
     * DANE required for {@code domain} by local configuration but not available ({@code why}): every
     * attempt is deferred (RFC 8460 {@code dane-required}).
     */
    public static DaneDomain requiredButOff(String domain, String why) {
        return new DaneDomain(domain, Status.OFF, true, Set.of(), why);
    }

    /** Whether DANE applies to {@code domain} could not be decided ({@code why}): deferred, as a lookup without answer. */
    public static DaneDomain undecided(String domain, String why) {
        return new DaneDomain(domain, Status.TEMPORARY, false, Set.of(), why);
    }

    /** The recipient domain, as asked. */
    public String domain() {
        return domain;
    }

    public Status status() {
        return status;
    }

    /**
     * Whether local configuration requires DANE for this domain: then every MX host must have usable
     * TLSA records, and a host without is not used (RFC 8460 {@code dane-required}).
     */
    public boolean required() {
        return required;
    }

    /**
     * The MX host names of the validated RRset (lower case, no trailing dot); the domain itself when its
     * MX absence was proven. Empty unless {@link Status#SECURE}.
     */
    public Set<String> hosts() {
        return hosts;
    }

    /**
     * Whether the attempt must be deferred without connecting: the MX lookup was bogus or failed (RFC 7672
     * §2.1.1), or DANE is required and the MX RRset is not secure.
     */
    public boolean defer() {
        return status == Status.BOGUS || status == Status.TEMPORARY || (required && status != Status.SECURE);
    }

    /** What was found, in words (network text escaped). */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return status.name().toLowerCase(java.util.Locale.ROOT) + (required ? " (required)" : "") + ": " + detail;
    }
}
