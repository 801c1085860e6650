package dev.jamesmtasts.james;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.cache.PolicyCache;

/**
 * Keeps the policy cache connected to Cassandra without ever holding James up: one daemon thread that
 * connects the store while it is not connected and, once it is, probes it with one cheap read, so that
 * {@link PolicyCache#storeStatus()} (health check, gauge, MBean) follows the store even when no mail
 * flows. After a failure it tries again after {@link #FIRST_RETRY}, doubling up to {@link #MAX_RETRY}
 * (the capped back-off); while the store answers it probes every {@link #PROBE_INTERVAL}. Failed
 * attempts are logged at DEBUG only: the state changes are logged once each by the cache's
 * {@code StoreStatus}.
 */
final class StoreWatch implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(StoreWatch.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(60);
    static final Duration PROBE_INTERVAL = Duration.ofSeconds(10);

    /** One connection attempt: true when the store is connected afterwards. Must not throw. */
    interface Connect {
        boolean attempt();
    }

    private final PolicyCache cache;
    private final java.util.function.BooleanSupplier connected;
    private final Connect connect;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param connected whether everything {@code connect} connects is connected (the policy store, and the
     *                  TLS-RPT store on the same session when enabled): until then, attempts go on
     */
    StoreWatch(PolicyCache cache, java.util.function.BooleanSupplier connected, Connect connect) {
        this.cache = cache;
        this.connected = connected;
        this.connect = connect;
        this.thread = new Thread(this::run, "mta-sts-store-watch");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long retry = FIRST_RETRY.toMillis();
        while (!closed) {
            boolean ok = connected.getAsBoolean() ? cache.probeStore() : connect.attempt();
            long wait;
            if (ok) {
                wait = PROBE_INTERVAL.toMillis();
                retry = FIRST_RETRY.toMillis();
            } else {
                wait = retry;
                retry = Math.min(retry * 2, MAX_RETRY.toMillis());
                LOGGER.debug("MTA-STS policy store not reachable ({}); next try in {} ms", cache.storeStatus().reading(), wait);
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                return; // close()
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
