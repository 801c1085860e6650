package dev.jamesmtasts.cache;

/**
 * The policy store (Cassandra) did not answer within its time bound or refused the request. Always
 * temporary from the cache's point of view: the cache answers from memory or with an ERROR result.
 */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
