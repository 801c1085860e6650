package dev.jamesmtasts.tlsrpt;

import java.time.Instant;

/**
 * Where the result of each session attempt goes to be counted for TLS-RPT (RFC 8460 §4.4): the
 * delivery side produces {@link SessionResult}s, the reporting side aggregates them per policy domain
 * and UTC day.
 *
 * <p>Called on the delivery thread: implementations must return at once (no I/O on the caller's
 * thread), must be bounded in memory, and must not throw.
 */
public interface ResultSink {
    /** Counts {@code result}, a session attempted at {@code when} (its UTC day picks the report). */
    void record(Instant when, SessionResult result);

    /** A sink that counts nothing (TLS-RPT off). */
    ResultSink NONE = (when, result) -> { };
}
