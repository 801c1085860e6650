package dev.jamesmtasts.tlsrpt;

import java.util.Objects;

/**
 * The TLS-RPT outcome of one SMTP session attempt (or one failed policy fetch that stopped the
 * attempt before any session): the unit that is recorded and counted (RFC 8460 §4.4 summary and
 * failure-details). {@code failure} is null for a successful session.
 */
public final class SessionResult {
    private final AppliedPolicy policy;
    private final FailureDetail failure;

    private SessionResult(AppliedPolicy policy, FailureDetail failure) {
        this.policy = Objects.requireNonNull(policy);
        this.failure = failure;
    }

    /** A successful session under {@code policy}: the policy's one shared instance (no allocation). */
    public static SessionResult success(AppliedPolicy policy) {
        return policy.success();
    }

    /** For {@link AppliedPolicy}'s constructor only. */
    static SessionResult newSuccess(AppliedPolicy policy) {
        return new SessionResult(policy, null);
    }

    public static SessionResult failure(AppliedPolicy policy, FailureDetail failure) {
        return new SessionResult(policy, Objects.requireNonNull(failure));
    }

    public AppliedPolicy policy() {
        return policy;
    }

    public boolean successful() {
        return failure == null;
    }

    /** The failure, or null for a successful session. */
    public FailureDetail failure() {
        return failure;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionResult && policy.equals(((SessionResult) o).policy)
                && Objects.equals(failure, ((SessionResult) o).failure);
    }

    @Override
    public int hashCode() {
        return Objects.hash(policy, failure);
    }

    @Override
    public String toString() {
        return failure == null ? "success " + policy : "failure " + failure + " " + policy;
    }
}
