package dev.jamesmtasts.bench;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.reporting.ReportStore;
import dev.jamesmtasts.reporting.ResultRecorder;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * The cost of recording one TLS-RPT session result on the delivery thread ({@code ResultRecorder.record}):
 * the per-attempt cost TLS-RPT adds to delivery. Keys exist already (the steady state: a day's domains
 * were seen before); each result is a fresh, equal object as the delivery side makes one per attempt;
 * 1 in 10 is a failure. No Cassandra (nothing is flushed during the measurement).
 *
 * <p>{@code bin/bench jmh RecordResultBenchmark -prof gc} (add {@code -t 4} for 4 threads), or
 * {@code bin/bench main RecordResultBenchmark [threads=4] [results=2000000]}: ns per result and bytes
 * allocated per result (ThreadMXBean), per thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RecordResultBenchmark {
    private static final int DOMAINS = 256;
    private static final int RESULTS = 4096; // distinct objects cycling over DOMAINS policies

    private ResultRecorder recorder;
    private SessionResult[] results;
    private Instant now;

    /** Per-thread position in the results. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        recorder = newRecorder();
        results = results();
        now = Instant.now();
        for (SessionResult r : results) {
            recorder.record(now, r); // create every key: the measurement is the steady state
        }
    }

    @Benchmark
    public void record(Cursor c) {
        recorder.record(now, results[c.next++ & (RESULTS - 1)]);
    }

    @TearDown
    public void tearDown() {
        if (recorder.dropped() != 0) {
            throw new IllegalStateException("results dropped: " + recorder.dropped());
        }
    }

    static ResultRecorder newRecorder() {
        // never connected, never started: record() only
        return new ResultRecorder(ReportStore.unconnected(CacheSettings.defaults()), TlsRptSettings.defaults(),
                Clock.systemUTC());
    }

    /** Equal but distinct objects per attempt, as the delivery side builds them. */
    static SessionResult[] results() {
        SessionResult[] out = new SessionResult[RESULTS];
        for (int i = 0; i < RESULTS; i++) {
            String d = BenchSupport.domain(i % DOMAINS);
            String mx = "mx1." + d;
            AppliedPolicy p = AppliedPolicy.sts(d, "version: STSv1\r\nmode: enforce\r\nmx: " + mx
                    + "\r\nmx: mx2." + d + "\r\nmax_age: 604800\r\n", List.of(mx, "mx2." + d));
            out[i] = i % 10 == 0
                    ? SessionResult.failure(p, new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "192.0.2.1", mx, null,
                            "198.51.100.7", null, null))
                    : SessionResult.success(p);
        }
        return out;
    }

    /** {@code bin/bench main RecordResultBenchmark [threads=4] [results=2000000]}: prints figures for 1..threads threads. */
    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "threads", "results");
        int maxThreads = a.intValue("threads", 4);
        int perThread = a.intValue("results", 2_000_000);
        SessionResult[] results = results();
        System.out.printf("TLS-RPT result recording: %d results per thread, %d domains, 1 in 10 a failure, %d CPUs%n",
                perThread, DOMAINS, Runtime.getRuntime().availableProcessors());
        for (int round = 0; round < 2; round++) { // round 0 warms up the JIT
            for (int threads = 1; threads <= maxThreads; threads *= 2) {
                ResultRecorder rec = newRecorder();
                Instant now = Instant.now();
                for (SessionResult r : results) {
                    rec.record(now, r);
                }
                ThreadCost cost = ThreadCost.measure(threads, perThread,
                        (id, i) -> rec.record(now, results[(i + id * 977) & (RESULTS - 1)]));
                long total = cost.operations;
                if (rec.recorded() != total + results.length || rec.dropped() != 0) {
                    throw new IllegalStateException("recorded " + rec.recorded() + " dropped " + rec.dropped());
                }
                if (round == 1) {
                    System.out.printf("threads=%d  %.1f ns/result elapsed per thread, %.1f ns/result thread CPU, "
                                    + "%.2f M results/s in all, %.2f bytes allocated/result, counters=%d%n",
                            threads, cost.elapsedPerOp(), cost.cpuPerOp(), cost.perSecond() / 1e6, cost.bytesPerOp(),
                            rec.counters());
                }
            }
        }
    }
}
