package dev.jamesmtasts.james;

import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.cache.StoreStatus;
import dev.jamesmtasts.tlsrpt.ResultSink;

/**
 * The policy cache as the James side sees it: what the mailet asks ({@link #provider()}), what the
 * MBean drives ({@link #admin()}), and its lifecycle, driven by {@link MtaStsStartable}. Obtained
 * from {@link MtaStsBackends#create}, the one place where the real cache is wired.
 */
public interface MtaStsBackend {
    PolicyProvider provider();

    PolicyCacheAdmin admin();

    /**
     * Starts the cache. Throwing fails James's start, so only a configuration error may throw: a store
     * that cannot be reached is connected in the background ({@link #storeStatus()}).
     */
    void start() throws Exception;

    /**
     * Whether the policy store answers, as this node last saw it (health check, MBean). A backend
     * without a store is always available.
     */
    default StoreStatus storeStatus() {
        return StoreStatus.alwaysAvailable();
    }

    /**
     * Where this backend counts TLS-RPT session results (RFC 8460) when {@code tlsrpt.enabled=true}.
     * The Cassandra backend returns its {@code ResultRecorder} (created with the backend, so the mailet may
     * be built before {@link #start()}); {@link ResultSink#NONE} when TLS-RPT is off or there is no store.
     */
    default ResultSink resultSink() {
        return ResultSink.NONE;
    }

    /**
     * The running TLS-RPT parts (store, recorder, scheduler) when {@code tlsrpt.enabled=true} and the
     * backend has a store, between {@link #start()} and {@link #stop()}; empty otherwise. Admin surfaces
     * read them from here.
     */
    default java.util.Optional<TlsRptReporting> tlsRpt() {
        return java.util.Optional.empty();
    }

    /**
     * What {@link DomainCheck} reads from this backend: the live MTA-STS source and the stored rows, while
     * started; empty when the backend has neither (a test double) or is not started.
     */
    default java.util.Optional<DomainCheck.Sources> checkSources() {
        return java.util.Optional.empty();
    }

    /** Undoes {@link #start()}: stops the refresher, closes what it opened. Idempotent. */
    void stop();
}
