package dev.jamesmtasts.james;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.bench.BenchSource;
import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * The mailet's per-attempt MTA-STS decision ({@link PolicyDecider#decide}) on a policy-cache hit, as
 * {@code mtaSts.policyCheck} times it in James, without James: fed by prebuilt {@link CacheResult}s
 * from a map (the decision's own cost) or by a real {@link PolicyCache} near-cache hit. {@code decideAndReason} also renders the reason (done once per attempt for
 * the report), {@code decideTimed} wraps the decision in James's Dropwizard timer as the mailet does.
 * Run: {@code bin/bench jmh DecideBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecideBenchmark {
    private static final int DOMAINS = 1024;

    /** {@code none}: no mtaStsOverrides; {@code others}: overrides for other domains (the lookup misses). */
    @Param({"none", "others"})
    public String overrides;

    /**
     * {@code memory}: prebuilt answers from a map (the decision alone); {@code cache}: a real
     * {@link PolicyCache} near-cache hit (needs the Cassandra node on 9042 for the set-up only).
     */
    @Param({"memory", "cache"})
    public String provider;

    private PolicyDecider decider;
    private PolicyProvider policies;
    private CqlSession session;
    private PolicyCache cache;
    private DropWizardMetricFactory metricFactory;
    private final String[] domains = new String[DOMAINS];
    private int next;

    @Setup
    public void setUp() throws Exception {
        StsPolicy policy = StsPolicy.of(StsPolicy.Mode.ENFORCE,
                java.util.List.of(MxPattern.parse("mx1.example.net"), MxPattern.parse("*.mx.example.net")), 604800);
        Map<String, CacheResult> answers = new ConcurrentHashMap<>();
        for (int i = 0; i < DOMAINS; i++) {
            domains[i] = "d" + i + ".example";
            answers.put(domains[i], CacheResult.policy(policy, "id1", false, "near cache"));
        }
        policies = answers::get;
        if ("cache".equals(provider)) {
            // As NearCacheHitBenchmark: every domain fetched once, then every get is a near-cache hit.
            session = CassandraNode.shared().newSession();
            cache = PolicyCache.create(session, new BenchSource(policy), CacheSettings.builder().keyspace("bench_decide")
                    .idCheckInterval(Duration.ofDays(1)).nearCacheTtl(Duration.ofDays(1)).build(), Clock.systemUTC(),
                    new MetricRegistry(), "bench");
            for (String d : domains) {
                if (cache.get(d).policy() == null) {
                    throw new IllegalStateException("setup failed for " + d);
                }
            }
            policies = cache;
        }
        Map<String, MtaStsMailetSettings.DomainOverride> o = "none".equals(overrides) ? new HashMap<>()
                : MtaStsMailetSettings.parseOverrides("a.example=off; b.example=testing; c.example=enforce:mx.c.example");
        decider = new PolicyDecider(MtaStsMailetSettings.Mode.FOLLOW, MtaStsMailetSettings.OnLookupError.DEFER, o, false);
        metricFactory = new DropWizardMetricFactory(new MetricRegistry());
    }

    private String domain() {
        return domains[next++ & (DOMAINS - 1)];
    }

    @TearDown
    public void tearDown() {
        if (cache != null) {
            cache.close();
            session.close();
        }
    }

    @Benchmark
    public AttemptDecision decide() {
        return decider.decide(domain(), policies);
    }

    @Benchmark
    public String decideAndReason() {
        return decider.decide(domain(), policies).reason();
    }

    @Benchmark
    public AttemptDecision decideTimed() {
        TimeMetric t = metricFactory.timer(MtaStsRemoteDelivery.POLICY_CHECK);
        try {
            return decider.decide(domain(), policies);
        } finally {
            t.stopAndPublish();
        }
    }
}
