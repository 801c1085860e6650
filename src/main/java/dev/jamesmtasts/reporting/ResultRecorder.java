package dev.jamesmtasts.reporting;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ResultSink;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * Counts TLS-RPT session results (RFC 8460 §4.4) in memory per (UTC day, applied policy, failure detail),
 * and writes this node's totals to Cassandra every {@link TlsRptSettings#flushInterval()} and on
 * {@link #close()}.
 *
 * <p>The hot path ({@link #record}) runs on the delivery thread: no I/O, no lock, no allocation once a
 * key exists (two hash lookups and a {@link LongAdder} increment). Bounded: at most
 * {@link TlsRptSettings#maxKeys()} counters, {@link TlsRptSettings#maxKeysPerDomain()} per (day,
 * domain); a result that would need a counter beyond them, or whose day is neither yesterday, today nor
 * tomorrow (UTC), is dropped and counted in {@link #dropped()}. Nothing is ever thrown to the caller.
 *
 * <p>Idempotent flushes: this run (a random id, one per recorder) writes ABSOLUTE totals under its own
 * rows, so a write retried after a time-out, or repeated by the next flush, changes nothing; the
 * report sums all runs' rows ({@link ReportStore#results}). A failed flush keeps the counts (they are
 * cumulative anyway) and the next flush writes them; an outage is logged once when it starts and once
 * when it ends.
 */
public final class ResultRecorder implements ResultSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResultRecorder.class);
    private static final int MAX_IN_FLIGHT = 64;
    /** The error of a write not started because an earlier one of the same flush failed. */
    private static final Throwable NOT_TRIED = new Throwable("not tried: an earlier write of this flush failed", null,
            false, false) { };

    /** The counters of one applied policy on one day. */
    static final class PolicyCounter {
        final AppliedPolicy policy;
        final LongAdder successes = new LongAdder();
        final ConcurrentHashMap<FailureDetail, FailureCounter> failures = new ConcurrentHashMap<>();
        String key;               // flush thread only
        long writtenSuccesses = -1; // flush thread only: -1 = summary row never written

        PolicyCounter(AppliedPolicy policy) {
            this.policy = policy;
        }
    }

    static final class FailureCounter {
        final FailureDetail detail;
        final LongAdder count = new LongAdder();
        String key;      // flush thread only
        long written;    // flush thread only

        FailureCounter(FailureDetail detail) {
            this.detail = detail;
        }
    }

    /** One UTC day's counters of this run. */
    static final class DayBucket {
        final long epochDay;
        final String run;
        final ConcurrentHashMap<AppliedPolicy, PolicyCounter> policies = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, AtomicInteger> keysPerDomain = new ConcurrentHashMap<>();
        final Map<String, Boolean> indexed = new ConcurrentHashMap<>(); // flush thread only writes
        volatile boolean closed;

        DayBucket(long epochDay, String run) {
            this.epochDay = epochDay;
            this.run = run;
        }
    }

    /** What one flush did. */
    public static final class FlushResult {
        private final int written;
        private final int failed;

        FlushResult(int written, int failed) {
            this.written = written;
            this.failed = failed;
        }

        /** Rows written. */
        public int written() { return written; }

        /** Rows that could not be written (kept; the next flush tries again). */
        public int failed() { return failed; }

        @Override
        public String toString() {
            return "written=" + written + " failed=" + failed;
        }
    }

    private final ReportStore store;
    private final TlsRptSettings settings;
    private final Clock clock;
    private final String runId;
    private final ConcurrentHashMap<Long, DayBucket> days = new ConcurrentHashMap<>();
    private volatile DayBucket current;
    private final AtomicInteger keys = new AtomicInteger();
    private final AtomicLong buckets = new AtomicLong();
    private final LongAdder recorded = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Object flushLock = new Object();
    private volatile boolean outage;
    private volatile boolean closed;
    private ScheduledExecutorService flusher;

    public ResultRecorder(ReportStore store, TlsRptSettings settings, Clock clock) {
        this.store = Objects.requireNonNull(store);
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
        this.runId = UUID.randomUUID().toString();
    }

    /** Starts flushing every {@link TlsRptSettings#flushInterval()} on a daemon thread of its own. */
    public synchronized ResultRecorder start() {
        if (flusher == null && !closed) {
            flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tlsrpt-flush");
                t.setDaemon(true);
                return t;
            });
            long ms = settings.flushInterval().toMillis();
            flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** This run's id: the {@code run} column of its rows (a new one per recorder, so per James start). */
    public String runId() {
        return runId;
    }

    @Override
    public void record(Instant when, SessionResult result) {
        try {
            if (closed) {
                dropped.increment();
                return;
            }
            long day = Math.floorDiv(when.getEpochSecond(), 86_400L);
            DayBucket b = current;
            if (b == null || b.epochDay != day || b.closed) {
                b = bucket(day);
                if (b == null) {
                    dropped.increment();
                    return;
                }
            }
            AppliedPolicy p = result.policy();
            PolicyCounter pc = b.policies.get(p);
            if (pc == null && (pc = newPolicy(b, p)) == null) {
                dropped.increment();
                return;
            }
            FailureDetail f = result.failure();
            if (f == null) {
                pc.successes.increment();
            } else {
                FailureCounter fc = pc.failures.get(f);
                if (fc == null && (fc = newFailure(b, pc, f)) == null) {
                    dropped.increment();
                    return;
                }
                fc.count.increment();
            }
            recorded.increment();
        } catch (RuntimeException e) {
            // ResultSink: never throw into delivery
            dropped.increment();
        }
    }

    private DayBucket bucket(long day) {
        DayBucket b = days.get(day);
        if (b != null) {
            return b.closed ? null : b;
        }
        long today = Math.floorDiv(clock.instant().getEpochSecond(), 86_400L);
        // a session's day is today, or yesterday just after midnight; anything else is a clock gone wrong
        // or a result for a day whose report may already be out
        if (day < today - 1 || day > today + 1) {
            return null;
        }
        b = days.computeIfAbsent(day, d -> new DayBucket(d, runId + "." + buckets.incrementAndGet()));
        DayBucket c = current;
        if (c == null || b.epochDay >= c.epochDay) {
            current = b;
        }
        return b.closed ? null : b;
    }

    private PolicyCounter newPolicy(DayBucket b, AppliedPolicy p) {
        if (!reserve(b, p.policyDomain())) {
            return null;
        }
        PolicyCounter created = new PolicyCounter(p);
        PolicyCounter prev = b.policies.putIfAbsent(p, created);
        if (prev != null) {
            release(b, p.policyDomain(), 1);
            return prev;
        }
        return created;
    }

    private FailureCounter newFailure(DayBucket b, PolicyCounter pc, FailureDetail f) {
        if (!reserve(b, pc.policy.policyDomain())) {
            return null;
        }
        FailureCounter created = new FailureCounter(f);
        FailureCounter prev = pc.failures.putIfAbsent(f, created);
        if (prev != null) {
            release(b, pc.policy.policyDomain(), 1);
            return prev;
        }
        return created;
    }

    /** One more counter, within both caps. A per-domain entry exists only for a domain holding a counter. */
    private boolean reserve(DayBucket b, String domain) {
        if (keys.incrementAndGet() > settings.maxKeys()) {
            keys.decrementAndGet();
            return false;
        }
        AtomicInteger perDomain = b.keysPerDomain.computeIfAbsent(domain, d -> new AtomicInteger());
        if (perDomain.incrementAndGet() > settings.maxKeysPerDomain()) {
            perDomain.decrementAndGet();
            keys.decrementAndGet();
            return false;
        }
        return true;
    }

    private void release(DayBucket b, String domain, int n) {
        keys.addAndGet(-n);
        AtomicInteger perDomain = b.keysPerDomain.get(domain);
        if (perDomain != null) {
            perDomain.addAndGet(-n);
        }
    }

    /** Results counted since start. */
    public long recorded() {
        return recorded.sum();
    }

    /** Results not counted: beyond a cap, out of the day window, or after close. */
    public long dropped() {
        return dropped.sum();
    }

    /** Counters held in memory now. */
    public int counters() {
        return keys.get();
    }

    /** True while the last flush could not write everything (the store is unreachable). */
    public boolean storeOutage() {
        return outage;
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("TLS-RPT result flush failed unexpectedly: {}", SafeText.of(e.toString(), SafeText.REASON_MAX));
        }
    }

    /**
     * Writes every counter changed since its last successful write (absolute totals of this run) and
     * the day index of new domains; waits for the writes (each bounded by the store time-out). Never
     * throws for a store failure: what failed stays pending for the next flush.
     */
    public FlushResult flush() {
        synchronized (flushLock) {
            if (!store.connected()) {
                int pending = pendingRows();
                if (pending > 0) {
                    outageBegins("the store is not connected");
                }
                return new FlushResult(0, pending);
            }
            Instant now = clock.instant();
            long today = Math.floorDiv(now.getEpochSecond(), 86_400L);
            List<Write> writes = new ArrayList<>();
            for (Iterator<DayBucket> it = days.values().iterator(); it.hasNext(); ) {
                DayBucket b = it.next();
                LocalDate day = LocalDate.ofEpochDay(b.epochDay);
                int ttl = ReportStore.ttlSeconds(day, now, settings.retention());
                if (ttl <= 0) { // past retention: the report is long out, the rows would expire at once
                    forget(b);
                    it.remove();
                    continue;
                }
                if (b.epochDay < today - 1) {
                    b.closed = true; // no more results for this day; this flush writes its final totals
                }
                collect(b, day, ttl, writes);
            }
            int failed = run(writes);
            for (Iterator<DayBucket> it = days.values().iterator(); it.hasNext(); ) {
                DayBucket b = it.next();
                if (b.closed && pending(b) == 0) {
                    forget(b);
                    it.remove();
                }
            }
            if (failed > 0) {
                outageBegins(firstError(writes));
            } else if (outage) {
                outage = false;
                LOG.warn("TLS-RPT results: the store (Cassandra) takes writes again; results counted meanwhile are written");
            }
            return new FlushResult(writes.size() - failed, failed);
        }
    }

    private void outageBegins(String why) {
        if (!outage) {
            outage = true;
            LOG.warn("TLS-RPT results cannot be written to the store (Cassandra): {}. Delivery is not affected; "
                    + "results are kept in memory (at most {} counters) and written once the store answers.",
                    SafeText.of(why, SafeText.REASON_MAX), settings.maxKeys());
        }
    }

    private static String firstError(List<Write> writes) {
        for (Write w : writes) {
            if (w.error != null && w.error != NOT_TRIED) {
                return w.error.toString();
            }
        }
        return "unknown";
    }

    private void forget(DayBucket b) {
        int n = 0;
        for (PolicyCounter pc : b.policies.values()) {
            n += 1 + pc.failures.size();
        }
        keys.addAndGet(-n);
        if (current == b) {
            current = null;
        }
    }

    private int pendingRows() {
        int n = 0;
        for (DayBucket b : days.values()) {
            n += pending(b);
        }
        return n;
    }

    private static int pending(DayBucket b) {
        int n = 0;
        for (PolicyCounter pc : b.policies.values()) {
            if (pc.successes.sum() != pc.writtenSuccesses) {
                n++;
            }
            for (FailureCounter fc : pc.failures.values()) {
                if (fc.count.sum() != fc.written) {
                    n++;
                }
            }
        }
        return n;
    }

    /** A row to write and what to mark once it is written. */
    private static final class Write {
        final java.util.function.Supplier<java.util.concurrent.CompletionStage<?>> start;
        final Runnable onSuccess;
        volatile Throwable error;

        Write(java.util.function.Supplier<java.util.concurrent.CompletionStage<?>> start, Runnable onSuccess) {
            this.start = start;
            this.onSuccess = onSuccess;
        }
    }

    private void collect(DayBucket b, LocalDate day, int ttl, List<Write> writes) {
        ResultTable t = store.tables().results;
        java.util.Set<String> indexing = new java.util.HashSet<>();
        for (PolicyCounter pc : b.policies.values()) {
            String domain = pc.policy.policyDomain();
            if (!b.indexed.containsKey(domain) && indexing.add(domain)) {
                writes.add(new Write(() -> t.indexDomain(day, domain, ttl), () -> b.indexed.put(domain, Boolean.TRUE)));
            }
            if (pc.key == null) {
                pc.key = ResultKeys.policyKey(pc.policy);
            }
            long s = pc.successes.sum();
            if (s != pc.writtenSuccesses) {
                writes.add(new Write(() -> t.writeSummary(day, b.run, pc.key, pc.policy, s, ttl), () -> pc.writtenSuccesses = s));
            }
            for (FailureCounter fc : pc.failures.values()) {
                long n = fc.count.sum();
                if (n != fc.written) {
                    if (fc.key == null) {
                        fc.key = ResultKeys.detailKey(fc.detail);
                    }
                    writes.add(new Write(() -> t.writeFailure(day, domain, b.run, pc.key, fc.key, fc.detail, n, ttl),
                            () -> fc.written = n));
                }
            }
        }
    }

    /** Runs the writes, at most {@value #MAX_IN_FLIGHT} at once; marks the written ones; returns the failed count. */
    private int run(List<Write> writes) {
        if (writes.isEmpty()) {
            return 0;
        }
        long boundMs = store.timeoutMillis() + 2000;
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        // once a write fails the store is most likely unreachable: the rest waits for the next flush, so a
        // flush (and close() at James's stop) lasts about one store time-out, not one per batch of writes
        java.util.concurrent.atomic.AtomicBoolean anyFailed = new java.util.concurrent.atomic.AtomicBoolean();
        List<CompletableFuture<?>> futures = new ArrayList<>(writes.size());
        for (Write w : writes) {
            CompletableFuture<?> f;
            if (anyFailed.get()) {
                w.error = NOT_TRIED;
                futures.add(CompletableFuture.completedFuture(null));
                continue;
            }
            try {
                if (!inFlight.tryAcquire(boundMs, TimeUnit.MILLISECONDS)) {
                    anyFailed.set(true);
                    w.error = new java.util.concurrent.TimeoutException("no write slot within " + boundMs + " ms");
                    futures.add(CompletableFuture.completedFuture(null));
                    continue;
                }
                f = w.start.get().toCompletableFuture();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.error = e;
                futures.add(CompletableFuture.completedFuture(null));
                continue;
            } catch (RuntimeException e) { // e.g. the session was closed
                inFlight.release();
                anyFailed.set(true);
                w.error = e;
                futures.add(CompletableFuture.completedFuture(null));
                continue;
            }
            futures.add(f.whenComplete((r, e) -> {
                if (e != null) {
                    w.error = e;
                    anyFailed.set(true);
                }
                inFlight.release();
            }));
        }
        int failed = 0;
        for (int i = 0; i < writes.size(); i++) {
            Write w = writes.get(i);
            try {
                futures.get(i).get(boundMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.error = e;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (w.error == null) {
                    w.error = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                }
            }
            if (w.error == null) {
                w.onSuccess.run();
            } else {
                failed++;
            }
        }
        return failed;
    }

    /**
     * Forgets which totals were written, so that the next flush writes every row again: what happens
     * when a write reached the store but its answer did not (a time-out), for the idempotence test.
     */
    void markAllUnwritten() {
        synchronized (flushLock) {
            for (DayBucket b : days.values()) {
                b.indexed.clear();
                for (PolicyCounter pc : b.policies.values()) {
                    pc.writtenSuccesses = -1;
                    for (FailureCounter fc : pc.failures.values()) {
                        fc.written = -1;
                    }
                }
            }
        }
    }

    /** Stops the periodic flush and writes what is pending (bounded by the store time-out); never throws. */
    @Override
    public void close() {
        ScheduledExecutorService f;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            f = flusher;
        }
        if (f != null) {
            f.shutdown();
            try {
                f.awaitTermination(store.timeoutMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        FlushResult r;
        try {
            r = flush();
        } catch (RuntimeException e) {
            LOG.warn("TLS-RPT results: final flush failed: {}", SafeText.of(e.toString(), SafeText.REASON_MAX));
            return;
        }
        if (r.failed() > 0) {
            LOG.warn("TLS-RPT results: {} counters of this node could not be written at stop and are lost", r.failed());
        }
    }
}
