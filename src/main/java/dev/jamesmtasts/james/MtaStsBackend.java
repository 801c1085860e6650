package dev.jamesmtasts.james;

import dev.jamesmtasts.cache.PolicyProvider;

/**
 * The policy cache as the James side sees it: what the mailet asks ({@link #provider()}), what the
 * MBean drives ({@link #admin()}), and its lifecycle, driven by {@link MtaStsStartable}. Obtained
 * from {@link MtaStsBackends#create}, the one place where the real cache is wired.
 */
public interface MtaStsBackend {
    PolicyProvider provider();

    PolicyCacheAdmin admin();

    /** Opens the store, creates the schema, starts the refresher. Throwing fails James's start. */
    void start() throws Exception;

    /** Undoes {@link #start()}: stops the refresher, closes what it opened. Idempotent. */
    void stop();
}
