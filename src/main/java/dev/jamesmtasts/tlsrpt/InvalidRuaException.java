package dev.jamesmtasts.tlsrpt;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * A rua from a TLSRPT record (RFC 8460 §3) that cannot be used for delivery. The rua comes from the
 * policy domain's DNS: the message quotes it escaped ({@link SafeText}), never raw.
 */
public final class InvalidRuaException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidRuaException(String message) {
        super(SafeText.display(message), null, false, false);
    }
}
