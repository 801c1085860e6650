package dev.jamesmtasts.tlsrpt;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * A report that is not RFC 8460 §4 JSON (or not gzip, or too big once decompressed). The message names
 * the JSON path of the offending field ({@code policies[0].summary.total-failure-session-count}) and
 * passes any text from the report through {@link SafeText}.
 */
public final class ReportFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    ReportFormatException(String message) {
        super(SafeText.display(message));
    }

    ReportFormatException(String message, Throwable cause) {
        super(SafeText.display(message), cause);
    }
}
