package dev.jamesmtasts.tlsrpt;

import java.util.Objects;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * The outcome of POSTing one report to an {@code https:} rua (RFC 8460 §5.4). Every text it holds is
 * safe to log ({@link SafeText}): the endpoint is chosen by the policy domain and is untrusted.
 */
public final class PostResult {
    /** What happened to the report. */
    public enum Outcome {
        /** A 2xx answer: delivered (RFC 8460 §5.4: "a 'successful' response ... typically a 200 or 201"). */
        SENT,
        /**
         * Any other HTTP status, a 3xx included (redirects are not followed: RFC 8460 §5.4 counts only a
         * successful response as delivery). {@link #retryable()} tells whether trying later may help.
         */
        REJECTED,
        /**
         * No HTTP answer: DNS, connect, TLS (certificate not trusted, wrong name), time-out, malformed
         * response; {@link #failure()} says which. Worth retrying (RFC 8460 §5.5: up to 24 hours).
         */
        TEMPORARY,
        /**
         * The endpoint resolves only to loopback, private, link-local, ... addresses and those are not
         * allowed ({@code AddressGuard}): a rua must not be a way into the sender's own network. No
         * connection was made.
         */
        REFUSED,
        /** The report exceeds the configured size cap. Nothing was sent. */
        TOO_LARGE,
        /** The rua is not a usable {@code https:} URI. Nothing was sent. */
        INVALID_URI
    }

    private final Outcome outcome;
    private final int status;
    private final FetchFailure failure;
    private final String detail;

    private PostResult(Outcome outcome, int status, FetchFailure failure, String detail) {
        this.outcome = outcome;
        this.status = status;
        this.failure = failure;
        this.detail = SafeText.display(detail);
    }

    static PostResult sent(int status, String detail) {
        return new PostResult(Outcome.SENT, status, null, detail);
    }

    static PostResult rejected(int status, String detail) {
        return new PostResult(Outcome.REJECTED, status, null, detail);
    }

    static PostResult failed(FetchFailure failure, String detail) {
        Outcome o = failure == FetchFailure.ADDRESS_REFUSED ? Outcome.REFUSED : Outcome.TEMPORARY;
        return new PostResult(o, 0, Objects.requireNonNull(failure), detail);
    }

    static PostResult tooLarge(String detail) {
        return new PostResult(Outcome.TOO_LARGE, 0, null, detail);
    }

    static PostResult invalidUri(String detail) {
        return new PostResult(Outcome.INVALID_URI, 0, null, detail);
    }

    public Outcome outcome() {
        return outcome;
    }

    /** True for {@link Outcome#SENT}. */
    public boolean isSent() {
        return outcome == Outcome.SENT;
    }

    /** The HTTP status for SENT and REJECTED, else 0. */
    public int status() {
        return status;
    }

    /** Which step failed, for TEMPORARY and REFUSED, else null. */
    public FetchFailure failure() {
        return failure;
    }

    /**
     * Whether trying the same rua again later may succeed: TEMPORARY, and REJECTED with a 5xx, 408
     * (request time-out) or 429 (too many requests). A 4xx other than those, a redirect, REFUSED,
     * TOO_LARGE and INVALID_URI will not change by waiting.
     */
    public boolean retryable() {
        switch (outcome) {
            case TEMPORARY:
                return true;
            case REJECTED:
                return status >= 500 || status == 408 || status == 429;
            default:
                return false;
        }
    }

    /** What happened, escaped and capped: for logs, the CLI and the store. */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return outcome + (status > 0 ? " " + status : "") + (failure != null ? " " + failure : "") + ": " + detail;
    }
}
