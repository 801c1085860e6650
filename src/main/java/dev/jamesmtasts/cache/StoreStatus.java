package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the policy store (Cassandra) answers, as this node last saw it: set by every store read and
 * policy write ({@link PolicyStore}) and by the background connection and probes of the James side.
 * Read by the health check, the {@code mtasts.store.available} gauge and the MBean.
 *
 * <p>The log gets one WARN per change between {@link State#AVAILABLE} and {@link State#UNAVAILABLE}
 * (never one per failed call or retry), saying what mail does meanwhile ({@code cache.onStoreOutage}).
 */
public final class StoreStatus {
    private static final Logger LOG = LoggerFactory.getLogger(StoreStatus.class);

    /** The store's state; {@link #CONNECTING} until the first connection attempt ends. */
    public enum State { CONNECTING, AVAILABLE, UNAVAILABLE }

    /** An immutable reading of the status. */
    public static final class Reading {
        private final State state;
        private final String reason;
        private final Instant since;

        Reading(State state, String reason, Instant since) {
            this.state = state;
            this.reason = reason;
            this.since = since;
        }

        public State state() { return state; }

        public boolean available() { return state == State.AVAILABLE; }

        /** Why the store is not available (the last error), or a short note when it is. */
        public String reason() { return reason; }

        /** When the current state began. */
        public Instant since() { return since; }

        @Override
        public String toString() {
            return state.name().toLowerCase(java.util.Locale.ROOT) + " since " + since
                    + (state == State.AVAILABLE ? "" : ": " + reason);
        }
    }

    private final CacheSettings.StoreOutage mode;
    private final Clock clock;
    private final List<Runnable> onAvailable = new CopyOnWriteArrayList<>();
    private volatile Reading reading;

    StoreStatus(CacheSettings.StoreOutage mode, Clock clock) {
        this.mode = mode;
        this.clock = clock;
        this.reading = new Reading(State.CONNECTING, "not connected yet", clock.instant());
    }

    /** A status that stays {@link State#CONNECTING} (a backend not started yet). */
    public static StoreStatus connecting() {
        return new StoreStatus(CacheSettings.StoreOutage.DEFER, Clock.systemUTC());
    }

    /** A status that is always available, for policy providers without a store (test doubles). */
    public static StoreStatus alwaysAvailable() {
        StoreStatus s = new StoreStatus(CacheSettings.StoreOutage.DEFER, Clock.systemUTC());
        s.reading = new Reading(State.AVAILABLE, "no store", s.reading.since);
        return s;
    }

    public Reading reading() {
        return reading;
    }

    public boolean available() {
        return reading.state == State.AVAILABLE;
    }

    /** Runs {@code r} (on the thread that saw it) each time the store becomes available. */
    void onAvailable(Runnable r) {
        onAvailable.add(r);
    }

    /** A store call succeeded. */
    void up() {
        Reading was = reading;
        if (was.state == State.AVAILABLE) {
            return;
        }
        synchronized (this) {
            was = reading;
            if (was.state == State.AVAILABLE) {
                return;
            }
            reading = new Reading(State.AVAILABLE, "connected", clock.instant());
        }
        if (was.state == State.UNAVAILABLE) {
            LOG.warn("MTA-STS policy store (Cassandra) available again, after being unreachable since {} ({})",
                    was.since, was.reason);
        } else {
            LOG.info("MTA-STS policy store (Cassandra) connected");
        }
        for (Runnable r : onAvailable) {
            r.run();
        }
    }

    /** A store call failed for want of the store (not for a bad request): {@code why} is the error. */
    void down(String why) {
        Reading was = reading;
        if (was.state == State.UNAVAILABLE) {
            reading = new Reading(State.UNAVAILABLE, why, was.since); // the newest error, same outage
            return;
        }
        synchronized (this) {
            was = reading;
            reading = new Reading(State.UNAVAILABLE, why, was.state == State.UNAVAILABLE ? was.since : clock.instant());
            if (was.state == State.UNAVAILABLE) {
                return;
            }
        }
        LOG.warn("MTA-STS policy store (Cassandra) unavailable: {}. James keeps running and policies held in memory "
                + "are applied; {} (cache.onStoreOutage={}). Reconnecting in the background.", why,
                mode == CacheSettings.StoreOutage.LIVE
                        ? "other domains are looked up directly over DNS and HTTPS, and what is learnt is written "
                        + "to the store once it is back"
                        : "mail to other domains is deferred until the store is back",
                mode.name().toLowerCase(java.util.Locale.ROOT));
    }
}
