package dev.jamesmtasts.bench;

import java.time.Instant;
import java.util.ArrayList;
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
import org.openjdk.jmh.infra.Blackhole;

import dev.jamesmtasts.james.DeliveryAttemptReport;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.DeliveryOutcome;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.PolicyOrigin;
import dev.jamesmtasts.james.DeliveryAttemptReport.PublishedPolicy;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.james.TlsRptListener;
import dev.jamesmtasts.james.TlsRptResults;
import dev.jamesmtasts.reporting.ResultRecorder;
import dev.jamesmtasts.tlsrpt.AppliedPolicies;

/**
 * The whole per-attempt cost of TLS-RPT on the delivery thread: {@link TlsRptListener#onAttempt} with
 * the recorder bound as in James ({@code DeliveryAttemptReport} → {@link TlsRptResults} →
 * {@code ResultRecorder.record}). The reports are shaped as the mailet builds them in
 * {@code bin/demo --bench}: an enforce policy applied (its text the cached policy's own String), one
 * MX, matched, STARTTLS, certificate valid, delivered; the addresses and the report itself new objects
 * per attempt; 1 in 10 attempts is a certificate failure instead. Keys exist (the steady state).
 *
 * <p>{@code bin/bench jmh TlsRptAttemptBenchmark -prof gc}, or
 * {@code bin/bench main TlsRptAttemptBenchmark [threads=4] [attempts=1000000]}: thread CPU ns and bytes
 * allocated per attempt (ThreadMXBean) for the mapping alone (every applied policy built anew, or reused
 * as the listener does) and for the whole listener, per thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlsRptAttemptBenchmark {
    private static final int DOMAINS = 256;
    private static final int REPORTS = 4096; // distinct report objects cycling over DOMAINS policies

    private ResultRecorder recorder;
    private TlsRptListener listener;
    private DeliveryAttemptReport[] reports;
    private final AppliedPolicies policies = new AppliedPolicies(AppliedPolicies.DEFAULT_MAX_DOMAINS);

    /** Per-thread position in the reports. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        recorder = RecordResultBenchmark.newRecorder();
        listener = new TlsRptListener(recorder);
        reports = reports(Instant.now());
        for (DeliveryAttemptReport r : reports) {
            listener.onAttempt(r); // create every key: the measurement is the steady state
        }
    }

    /** The whole listener: map and record. */
    @Benchmark
    public void onAttempt(Cursor c) {
        listener.onAttempt(reports[c.next++ & (REPORTS - 1)]);
    }

    /** The mapping alone, applied policies reused as the listener does ({@code TlsRptResults.of(report, policies)}). */
    @Benchmark
    public void map(Cursor c, Blackhole bh) {
        bh.consume(TlsRptResults.of(reports[c.next++ & (REPORTS - 1)], policies));
    }

    /** The mapping alone, every applied policy built anew ({@code TlsRptResults.of(report)}). */
    @Benchmark
    public void mapUncached(Cursor c, Blackhole bh) {
        bh.consume(TlsRptResults.of(reports[c.next++ & (REPORTS - 1)]));
    }

    @TearDown
    public void tearDown() {
        if (recorder.dropped() != 0) {
            throw new IllegalStateException("results dropped: " + recorder.dropped());
        }
    }

    /** Reports as the mailet builds them, one per attempt. */
    static DeliveryAttemptReport[] reports(Instant when) {
        String[] texts = new String[DOMAINS];
        for (int d = 0; d < DOMAINS; d++) {
            // the cached StsPolicy's text: one String per domain, shared by every attempt
            texts[d] = "version: STSv1\nmode: enforce\nmx: mx." + BenchSupport.domain(d) + "\nmax_age: 86400\n";
        }
        DeliveryAttemptReport[] out = new DeliveryAttemptReport[REPORTS];
        for (int i = 0; i < REPORTS; i++) {
            int d = i % DOMAINS;
            String domain = BenchSupport.domain(d);
            String mx = "mx." + domain;
            // addresses come from InetAddress.getHostAddress(): new Strings per attempt
            MxResult m = i % 10 == 0
                    ? new MxResult(mx, true, Starttls.OFFERED, CertificateVerdict.EXPIRED, null, false,
                            "certificate expired", new String("127.0.0.100"), new String("127.0.0.1"))
                    : new MxResult(mx, true, Starttls.OFFERED, CertificateVerdict.VALID, "TLSv1.3", true, null,
                            new String("127.0.0.100"), new String("127.0.0.1"));
            out[i] = new DeliveryAttemptReport(when, "Mail" + i + "-to-" + domain, domain, 1,
                    i % 10 == 0 ? Verdict.ENFORCED_DEFERRED : Verdict.ENFORCED_DELIVERED, PolicyOrigin.PUBLISHED,
                    "enforce", "bench1", texts[d], "enforce policy", i % 10 == 0 ? DeliveryOutcome.TEMPORARY_FAILURE
                    : DeliveryOutcome.DELIVERED, List.of(m), new ArrayList<>(List.of(mx)), PublishedPolicy.APPLIED,
                    null, false);
        }
        return out;
    }

    /** {@code bin/bench main TlsRptAttemptBenchmark [threads=4] [attempts=1000000]}. */
    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "threads", "attempts");
        int maxThreads = a.intValue("threads", 4);
        int perThread = a.intValue("attempts", 1_000_000);
        System.out.printf("TLS-RPT per delivery attempt: %d attempts per thread, %d domains, 1 in 10 a failure,"
                + " %d CPUs%n", perThread, DOMAINS, Runtime.getRuntime().availableProcessors());
        for (int round = 0; round < 2; round++) { // round 0 warms up the JIT
            for (String what : new String[] {"mapUncached", "map", "onAttempt"}) {
                for (int threads = 1; threads <= maxThreads; threads *= 2) {
                    measure(what, threads, perThread, round == 1);
                }
            }
        }
    }

    private static void measure(String what, int threads, int perThread, boolean print) throws Exception {
        ResultRecorder rec = RecordResultBenchmark.newRecorder();
        TlsRptListener listener = new TlsRptListener(rec);
        DeliveryAttemptReport[] reports = reports(Instant.now());
        for (DeliveryAttemptReport r : reports) {
            listener.onAttempt(r);
        }
        boolean mapOnly = what.startsWith("map");
        AppliedPolicies policies = "map".equals(what) ? new AppliedPolicies(AppliedPolicies.DEFAULT_MAX_DOMAINS) : null;
        java.util.concurrent.atomic.LongAdder mapped = new java.util.concurrent.atomic.LongAdder();
        ThreadCost cost = ThreadCost.measure(threads, perThread, (id, i) -> {
            DeliveryAttemptReport r = reports[(i + id * 977) & (REPORTS - 1)];
            if (mapOnly) {
                if (!(policies == null ? TlsRptResults.of(r) : TlsRptResults.of(r, policies)).isEmpty()) {
                    mapped.increment();
                }
            } else {
                listener.onAttempt(r);
            }
        });
        long total = cost.operations;
        long expected = mapOnly ? reports.length : total + reports.length;
        if (rec.recorded() != expected || rec.dropped() != 0 || (mapOnly && mapped.sum() != total)) {
            throw new IllegalStateException("recorded " + rec.recorded() + " dropped " + rec.dropped());
        }
        if (print) {
            System.out.printf("%-11s threads=%d  %.1f ns thread CPU per attempt, %.1f bytes allocated per attempt,"
                    + " counters=%d%n", what, threads, cost.cpuPerOp(), cost.bytesPerOp(), rec.counters());
        }
    }
}
