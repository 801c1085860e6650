package dev.jamesmtasts.mtasts;

import java.util.Objects;

/** The outcome of one HTTPS policy fetch: a parsed policy, or a typed failure with detail. */
public final class PolicyFetchResult {
    private final StsPolicy policy;
    private final FetchFailure failure;
    private final String detail;

    private PolicyFetchResult(StsPolicy policy, FetchFailure failure, String detail) {
        this.policy = policy;
        this.failure = failure;
        // The policy host is untrusted (RFC 8461 §10): whatever of its text an exception quotes
        // (TLS alerts, certificate names, I/O messages) is escaped before it reaches a reason.
        this.detail = detail == null ? null : SafeText.display(detail);
    }

    public static PolicyFetchResult success(StsPolicy policy) {
        return new PolicyFetchResult(Objects.requireNonNull(policy), null, "ok");
    }

    public static PolicyFetchResult failure(FetchFailure failure, String detail) {
        return new PolicyFetchResult(null, Objects.requireNonNull(failure), detail);
    }

    public boolean isSuccess() {
        return policy != null;
    }

    /** The policy on success, else null. */
    public StsPolicy policy() {
        return policy;
    }

    /** The failure kind, or null on success. */
    public FetchFailure failure() {
        return failure;
    }

    /** Human-readable detail (for logs and the CLI). */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return isSuccess() ? "policy " + policy : failure + ": " + detail;
    }
}
