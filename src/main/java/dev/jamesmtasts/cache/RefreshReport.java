package dev.jamesmtasts.cache;

/** What a refresh of one domain did (refresher rounds, {@link PolicyCache#refresh}). */
public final class RefreshReport {
    /**
     * What the refresh did to the stored row (named apart from {@link CacheResult.Outcome}, what a get
     * answers); the lower-case names are the {@code mtasts.refresh.*} metric names.
     */
    public enum Effect {
        /** A new policy was fetched and stored (id changed, body re-fetch due, or forced). */
        UPDATED,
        /** The TXT id is unchanged and the body is not due for a re-fetch; the check was recorded. */
        UNCHANGED,
        /** The row was deleted: unused too long, a {@code none} policy whose TXT vanished, expired. */
        DELETED,
        /** Something failed (DNS, fetch) and the stored policy was kept until it expires. */
        KEPT,
        /** A forced fetch failed with no valid policy stored: a backoff was recorded. */
        FAILED,
        /** Not due yet: only its index entry was fixed. */
        NOT_DUE,
        /** Nothing to do (the row is gone), or the store failed. */
        SKIPPED
    }

    private final String domain;
    private final Effect outcome;
    private final String detail;
    /** The due-index bucket the domain is filed under afterwards, or Long.MIN_VALUE (none / unknown). */
    final long indexedBucket;

    RefreshReport(String domain, Effect outcome, String detail, long indexedBucket) {
        this.domain = domain;
        this.outcome = outcome;
        this.detail = detail;
        this.indexedBucket = indexedBucket;
    }

    public String domain() { return domain; }
    public Effect outcome() { return outcome; }
    public String detail() { return detail; }

    @Override
    public String toString() {
        return domain + " " + outcome + ": " + detail;
    }
}
