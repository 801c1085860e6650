package dev.jamesmtasts.mtasts;

/**
 * Why fetching {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} failed (RFC 8461 §3.3).
 */
public enum FetchFailure {
    /** {@code mta-sts.<domain>} has no address (NXDOMAIN / no A or AAAA records) or is no valid host name. */
    HOST_NOT_FOUND,
    /** The policy host name could not be resolved right now (SERVFAIL, time-out). */
    DNS_TEMPORARY,
    /** Every address of the policy host is loopback, private, link-local, multicast or unspecified. */
    ADDRESS_REFUSED,
    /** TCP connection refused or unreachable. */
    CONNECT,
    /** TLS handshake failed: untrusted chain, expired certificate, wrong name, TLS older than 1.2. */
    TLS,
    /** An HTTP status other than 200 (and not a redirect). */
    HTTP_STATUS,
    /** A 3xx answer: RFC 8461 §3.3 forbids following redirects. */
    REDIRECT,
    /** A Content-Type other than text/plain (see {@code PolicyFetcher} for the documented rule). */
    CONTENT_TYPE,
    /** The body exceeded the size limit (64 KiB by default). */
    TOO_LARGE,
    /** The whole fetch did not finish within its time bound. */
    TIMEOUT,
    /** The body is not a valid policy (RFC 8461 §3.2). */
    SYNTAX,
    /** Anything else on the wire: reset connection, malformed HTTP, bad chunk framing, bad UTF-8. */
    PROTOCOL
}
