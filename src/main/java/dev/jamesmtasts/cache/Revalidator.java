package dev.jamesmtasts.cache;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stale-while-revalidate's background half: runs the lookup a synchronous get would have done as a
 * {@link SingleFlight} flight on a small executor ({@value #THREADS} threads, {@value #QUEUE} queued).
 * A revalidation the full executor refuses is counted ({@code mtasts.cache.revalidate.rejected}) and
 * dropped: the next get of the domain tries again. One that throws is logged and counted
 * ({@code mtasts.cache.revalidate.failed}) by the flight, never thrown to a caller.
 */
final class Revalidator {
    private static final Logger LOG = LoggerFactory.getLogger(Revalidator.class);
    /** Threads (they wait on DNS/HTTPS/Cassandra, not on the CPU). */
    static final int THREADS = 4;
    /** Revalidations queued beyond the running ones; more are dropped (and retried by the next get). */
    static final int QUEUE = 4096;
    static final long CLOSE_WAIT_MILLIS = 5_000;

    private final SingleFlight flights;
    private final CacheMetrics metrics;
    private final ThreadPoolExecutor executor;
    /** Test hook: told of each finished revalidation (after its flight has landed). */
    private volatile BiConsumer<String, CacheResult> listener;

    Revalidator(SingleFlight flights, CacheMetrics metrics, String nodeId) {
        this.flights = flights;
        this.metrics = metrics;
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "mtasts-revalidate-" + nodeId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true); // no idle threads between id-check rounds
    }

    /**
     * Starts one background revalidation of {@code domain} unless one (or a synchronous lookup) is
     * already in flight; whoever joins it before it runs, and it never runs, gets {@code stillValid}.
     */
    void start(String domain, CacheResult stillValid) {
        CompletableFuture<CacheResult> flight = flights.claim(domain);
        if (flight == null) {
            return;
        }
        Task task = new Task(domain, flight, stillValid);
        try {
            executor.execute(task);
            metrics.revalidations.inc();
        } catch (RejectedExecutionException ex) {
            metrics.revalidationsRejected.inc();
            LOG.debug("background revalidation of {} not started: {}", domain, ex.toString());
            task.abandon();
        }
    }

    void listener(BiConsumer<String, CacheResult> l) {
        listener = l;
    }

    boolean terminated() {
        return executor.isTerminated();
    }

    /** No new revalidation starts; running ones get {@value #CLOSE_WAIT_MILLIS} ms to finish their writes, then are interrupted. */
    void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                abandonQueued();
            }
        } catch (InterruptedException e) {
            abandonQueued();
            Thread.currentThread().interrupt();
        }
    }

    /** Interrupts the running revalidations and lands the flights of those that never ran. */
    private void abandonQueued() {
        for (Runnable r : executor.shutdownNow()) {
            if (r instanceof Task) {
                ((Task) r).abandon();
            }
        }
    }

    /** One queued revalidation; owns its flight until it has run or been abandoned. */
    private final class Task implements Runnable {
        private final String domain;
        private final CompletableFuture<CacheResult> flight;
        private final CacheResult stillValid;

        Task(String domain, CompletableFuture<CacheResult> flight, CacheResult stillValid) {
            this.domain = domain;
            this.flight = flight;
            this.stillValid = stillValid;
        }

        @Override
        public void run() {
            CacheResult r = flights.runFlight(domain, flight, true);
            BiConsumer<String, CacheResult> l = listener;
            if (l != null) {
                l.accept(domain, r);
            }
        }

        /** Never run (executor full or shut down): whoever joined the flight gets the still-valid answer. */
        void abandon() {
            flights.completeFlight(domain, flight, stillValid);
        }
    }
}
