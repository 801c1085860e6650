package dev.jamesmtasts.mtasts;

/**
 * A TXT record or a policy body that does not follow the grammar of RFC 8461 §3.1 / §3.2.
 *
 * <p>The message names the offending field and, where useful, the text that was rejected, so that
 * an administrator reading a log line knows what the domain owner must fix.
 */
public final class StsSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    StsSyntaxException(String message) {
        super(message);
    }
}
