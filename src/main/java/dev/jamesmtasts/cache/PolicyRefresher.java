package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes stored policies proactively (RFC 8461 §3.3, §10.2: "about daily, before expiry").
 *
 * <p>A round visits only the due-time index ({@code policy_due}), partition by partition, from the
 * lowest bucket that may hold entries up to the current one; it never scans the policy table. Each
 * partition (time bucket x shard) is a unit of work a node claims with a lease (LWT with TTL):
 * several nodes share a round with no domain done twice, and a unit whose node died is taken over
 * once its lease expires. Each due entry goes through the {@link RefreshStep} (delete a row unused for
 * deleteUnusedAfter or whose backoff is over, else re-check the id and decide with
 * {@link PolicyDecisions}: re-fetch when the id changed or max_age/2 passed, delete a {@code none} or
 * expired policy whose TXT record vanished).
 *
 * <p>Scheduled rounds ({@link #start}) run every refreshInterval plus a random jitter, spread their
 * units over refreshWindow, and refresh at most refreshConcurrency domains at once.
 */
public final class PolicyRefresher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyRefresher.class);

    private final RefreshStep step;
    private final PolicyStore store;
    private final DueIndexTable dueIndex;
    private final RefreshLeaseTable leases;
    private final CacheSettings settings;
    private final Clock clock;
    private final String owner;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean closed;
    private volatile RoundSummary lastRound;

    /** Made by {@code PolicyCache.newRefresher}, which shares its store, source and near cache through {@code step}. */
    PolicyRefresher(RefreshStep step, String owner) {
        this.step = step;
        this.store = step.store();
        this.dueIndex = store.dueIndex();
        this.leases = store.leases();
        this.settings = step.settings();
        this.clock = step.clock();
        this.owner = owner;
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> daemon(r, "mta-sts-refresher-" + n.incrementAndGet()));
        this.workers = Executors.newFixedThreadPool(settings.refreshConcurrency(),
                r -> daemon(r, "mta-sts-refresh-worker-" + n.incrementAndGet()));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Schedules rounds: the first after a random jitter, then every refreshInterval (+ jitter). */
    public void start() {
        scheduleNext(jitterMillis());
    }

    private long jitterMillis() {
        long j = settings.refreshJitter().toMillis();
        return j <= 0 ? 0 : ThreadLocalRandom.current().nextLong(j + 1);
    }

    private void scheduleNext(long delayMillis) {
        if (closed) {
            return;
        }
        scheduler.schedule(() -> {
            try {
                RoundSummary s = runRound(true);
                LOG.info("MTA-STS refresh {}", s);
            } catch (RuntimeException e) {
                LOG.warn("MTA-STS refresh round failed: {}", e.toString());
            } finally {
                scheduleNext(settings.refreshInterval().toMillis() + jitterMillis());
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** The summary of the last finished round, or null. */
    public RoundSummary lastRound() {
        return lastRound;
    }

    /** Runs a round now, unpaced (admin, tests). */
    public RoundSummary runRound() {
        return runRound(false);
    }

    RoundSummary runRound(boolean paced) {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("a round is already running on this refresher");
        }
        try {
            return doRound(paced);
        } finally {
            running.set(false);
        }
    }

    private RoundSummary doRound(boolean paced) {
        long t0 = System.nanoTime();
        Instant start = clock.instant();
        long round = Math.floorDiv(start.getEpochSecond(), settings.refreshInterval().getSeconds());
        RoundSummary summary = new RoundSummary(round);
        long cur = dueIndex.bucketOf(start);
        long low = Math.min(store.lowBucket(), cur);
        int shards = settings.dueShards();
        Set<List<Long>> pending = new LinkedHashSet<>();
        for (long b = low; b <= cur; b++) {
            for (int s = 0; s < shards; s++) {
                pending.add(List.of(b, (long) s));
            }
        }
        int totalUnits = pending.size();
        Set<List<Long>> heldByOthers = new HashSet<>();
        int started = 0;
        int unitsFailed = 0;
        long windowNanos = settings.refreshWindow().toNanos();
        long deadline = t0 + settings.refreshInterval().toNanos();
        while (!pending.isEmpty() && !closed && System.nanoTime() < deadline) {
            Map<Long, Map<Integer, RefreshLeaseTable.Lease>> held = leases.read(round);
            boolean progressed = false;
            for (Iterator<List<Long>> it = pending.iterator(); it.hasNext() && !closed; ) {
                List<Long> u = it.next();
                long b = u.get(0);
                int s = u.get(1).intValue();
                RefreshLeaseTable.Lease l = held.getOrDefault(b, Map.of()).get(s);
                if (l != null && l.done) {
                    it.remove();
                    continue;
                }
                if (l != null && l.owner != null && !l.owner.equals(owner)) {
                    heldByOthers.add(u);
                    continue;
                }
                if (b < cur && !heldByOthers.contains(u) && !dueIndex.hasDue(b, s)) {
                    // an empty past partition: nothing to do, no lease needed
                    summary.unitsSkippedEmpty.incrementAndGet();
                    it.remove();
                    continue;
                }
                if (paced && windowNanos > 0) {
                    pace(t0 + windowNanos / Math.max(1, totalUnits) * started);
                }
                started++;
                if (!leases.acquire(round, b, s, owner)) {
                    heldByOthers.add(u);
                    continue;
                }
                if (heldByOthers.contains(u)) {
                    summary.unitsTakenOver.incrementAndGet();
                }
                try {
                    if (processUnit(round, b, s, summary)) {
                        summary.unitsDone.incrementAndGet();
                    }
                } catch (RuntimeException e) {
                    // e.g. the unit's due index could not be read: the other units still run; this one's
                    // lease expires and the round stays incomplete, so its bucket is visited again
                    unitsFailed++;
                    summary.errors.incrementAndGet();
                    LOG.warn("refresh of due unit {}/{} failed: {}", b, s, e.toString());
                }
                it.remove();
                progressed = true;
            }
            if (!pending.isEmpty() && !progressed) {
                sleep(Math.min(1000, Math.max(100, settings.leaseTtl().toMillis() / 4)));
            }
        }
        summary.complete = pending.isEmpty() && unitsFailed == 0;
        if (summary.complete) {
            store.advanceLowBucket(cur);
        }
        summary.durationMillis = (System.nanoTime() - t0) / 1_000_000;
        lastRound = summary;
        return summary;
    }

    /** Processes one leased unit; true when it was finished while still holding the lease. */
    private boolean processUnit(long round, long bucket, int shard, RoundSummary summary) {
        Map<String, Instant> entries = dueIndex.readDue(bucket, shard);
        summary.indexRowsRead.addAndGet(entries.size());
        Instant now = clock.instant();
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Instant> e : entries.entrySet()) {
            if (!e.getValue().isAfter(now)) {
                due.add(e.getKey());
            }
        }
        summary.rowsDue.addAndGet(due.size());
        AtomicBoolean lost = new AtomicBoolean();
        long renewEvery = Math.max(200, settings.leaseTtl().toMillis() / 3);
        ScheduledFuture<?> renewal = scheduler.scheduleAtFixedRate(() -> {
            try {
                if (!leases.renew(round, bucket, shard, owner)) {
                    lost.set(true);
                }
            } catch (RuntimeException e) {
                LOG.debug("lease renewal failed: {}", e.toString());
            }
        }, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
        try {
            List<Callable<Void>> tasks = new ArrayList<>(due.size());
            for (String d : due) {
                tasks.add(() -> {
                    if (lost.get() || closed) {
                        return null;
                    }
                    try {
                        StoredPolicy row = store.read(d).orElse(null);
                        summary.policyRowsRead.incrementAndGet();
                        RefreshReport r = step.refresh(d, row, false, () -> lost.get() || closed);
                        summary.add(r);
                        if (r.indexedBucket != bucket && r.outcome() != RefreshReport.Effect.SKIPPED) {
                            dueIndex.unindex(bucket, shard, d);
                        } else if (row == null) {
                            dueIndex.unindex(bucket, shard, d);
                        }
                    } catch (StoreException e) {
                        summary.errors.incrementAndGet();
                        LOG.warn("refresh of {} failed: {}", d, e.getMessage());
                    } catch (RuntimeException e) {
                        // a bug or an unexpected failure in one domain's refresh: invokeAll would keep it
                        // in a Future nobody reads, so it is logged and counted here, and the round goes on
                        summary.errors.incrementAndGet();
                        LOG.error("refresh of {} failed unexpectedly", d, e);
                    }
                    return null;
                });
            }
            workers.invokeAll(tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            renewal.cancel(false);
        }
        if (lost.get() || closed) {
            return false;
        }
        return leases.finish(round, bucket, shard, owner);
    }

    private void pace(long untilNanos) {
        long wait = untilNanos - System.nanoTime();
        if (wait > 0) {
            sleep(TimeUnit.NANOSECONDS.toMillis(wait));
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops scheduling; a round in progress stops before its next write (its leases then expire). */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        workers.shutdownNow();
    }
}
