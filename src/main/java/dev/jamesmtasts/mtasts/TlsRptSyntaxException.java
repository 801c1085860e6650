package dev.jamesmtasts.mtasts;

/**
 * A {@code _smtp._tls} TXT record, or one of its {@code rua} URIs, that does not follow RFC 8460 §3,
 * or that breaks one of this implementation's bounds ({@link TlsRptRecord#MAX_RECORD_LENGTH},
 * {@link TlsRptRecord#MAX_RUA_URIS}). {@link #reason()} says which rule failed, so that callers (the
 * lookup, the CLI, tests) can tell "the domain published garbage" from "the domain published too much"
 * without reading the message.
 *
 * <p>The message quotes record text only through {@link SafeText}.
 */
public final class TlsRptSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Which rule the record (or URI) breaks. */
    public enum Reason {
        /** The text does not begin with {@code v=TLSRPTv1} (RFC 8460 §3: other TXT data, not an error of the domain). */
        NOT_TLSRPT,
        /** The record breaks the ABNF of RFC 8460 §3 (separators, field names, extension values, URI syntax). */
        SYNTAX,
        /** A second {@code v=} field: the version must be stated once, first. */
        DUPLICATE_VERSION,
        /** No {@code rua=} field (RFC 8460 §3: it is required). */
        MISSING_RUA,
        /** One {@code rua} URI that cannot be used: another scheme than mailto/https, or no usable destination. */
        UNUSABLE_URI,
        /** {@code rua=} is present but none of its URIs can be used (every one is {@link #UNUSABLE_URI}). */
        NO_USABLE_RUA,
        /** The record is longer than {@link TlsRptRecord#MAX_RECORD_LENGTH}. */
        RECORD_TOO_LONG,
        /** The record lists more than {@link TlsRptRecord#MAX_RUA_URIS} URIs. */
        TOO_MANY_URIS
    }

    private final Reason reason;

    TlsRptSyntaxException(Reason reason, String message) {
        super(SafeText.display(message));
        this.reason = reason;
    }

    /** The rule that failed. */
    public Reason reason() {
        return reason;
    }
}
