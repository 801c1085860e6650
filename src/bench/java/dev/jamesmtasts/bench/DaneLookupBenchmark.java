package dev.jamesmtasts.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.dane.DanePolicy;
import dev.jamesmtasts.dane.DnssecCache;
import dev.jamesmtasts.dane.DnssecLookups;
import dev.jamesmtasts.mtasts.DnssecResolver;
import dev.jamesmtasts.testing.TestDnsServer;

/**
 * What DANE adds to one delivery attempt: the RFC 7672 decision for a domain and its one MX host
 * ({@link DanePolicy#domain} + {@link DanePolicy#host}: validated MX, A and TLSA lookups), three ways:
 * <ul>
 *   <li>{@code cold}: a fresh validating resolver per attempt (no DNSKEY known, no answer cached): the
 *       first attempt after a start, the DS/DNSKEY chase from the root included;</li>
 *   <li>{@code new}: one resolver whose validator already knows the zones' keys, answers not cached: the
 *       first mail to a domain a running server has not seen (its DNSKEYs learnt from earlier domains);</li>
 *   <li>{@code cached}: every answer in {@link DnssecCache} (within its TTL): each later mail.</li>
 * </ul>
 * Against {@link TestDnsServer} on loopback (signs every answer on the fly with ECDSA P-256, in this JVM:
 * the process CPU of the first two includes that signing, an upper bound of the validator's own cost);
 * network latency to a real resolver comes on top of the wall times of {@code cold} and {@code new}.
 * {@code cached} runs on the calling thread alone: its thread CPU time is the cost.
 *
 * <p>{@code bin/bench main DaneLookupBenchmark [domains=300] [cold=40] [cached=300000]}
 */
public final class DaneLookupBenchmark {
    private DaneLookupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "domains", "cold", "cached");
        int domains = a.intValue("domains", 300);
        int coldRuns = a.intValue("cold", 40);
        int cachedRuns = a.intValue("cached", 300_000);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (TestDnsServer dns = TestDnsServer.start()) {
            dns.signedZone(".").signedZone("test.").signedZone("bench.test.");
            byte[] digest = new byte[32];
            for (int i = 0; i < domains; i++) {
                String d = "d" + i + ".bench.test.";
                dns.mx(d, 10, "mx." + d).a("mx." + d, "127.0.0.1").tlsa("_25._tcp.mx." + d, 3, 1, 1, digest);
            }
            String anchor = dns.trustAnchor(".");
            Duration queryTimeout = Duration.ofSeconds(5);
            Duration budget = Duration.ofSeconds(20);

            // warm the JIT on a throw-away resolver
            DanePolicy warm = new DanePolicy(DnssecLookups.of(new DnssecResolver(List.of(dns.address()), queryTimeout,
                    budget, anchor)));
            for (int i = 0; i < Math.min(domains, 50); i++) {
                attempt(warm, i);
            }

            long[] cold = new long[coldRuns];
            long cpu0 = os.getProcessCpuTime();
            for (int i = 0; i < coldRuns; i++) {
                DanePolicy fresh = new DanePolicy(DnssecLookups.of(new DnssecResolver(List.of(dns.address()),
                        queryTimeout, budget, anchor)));
                long t0 = System.nanoTime();
                attempt(fresh, i % domains);
                cold[i] = System.nanoTime() - t0;
            }
            long coldCpu = (os.getProcessCpuTime() - cpu0) / coldRuns;
            report("cold (fresh resolver, nothing known)", cold, coldCpu, "process CPU incl. the test server's signing");

            DnssecResolver shared = new DnssecResolver(List.of(dns.address()), queryTimeout, budget, anchor);
            DnssecCache cache = new DnssecCache(DnssecLookups.of(shared), 100_000, Duration.ofHours(1),
                    Duration.ofMinutes(1));
            DanePolicy policy = new DanePolicy(cache);
            attempt(policy, 0); // the zones' DNSKEYs are now known to the validator
            long[] fresh = new long[domains - 1];
            cpu0 = os.getProcessCpuTime();
            for (int i = 1; i < domains; i++) {
                long t0 = System.nanoTime();
                attempt(policy, i);
                fresh[i - 1] = System.nanoTime() - t0;
            }
            long newCpu = (os.getProcessCpuTime() - cpu0) / fresh.length;
            report("new domain (keys known, answers not cached)", fresh, newCpu, "process CPU incl. the test server's signing");

            long[] hit = new long[cachedRuns];
            long threadCpu0 = threads.getCurrentThreadCpuTime();
            long misses = cache.misses();
            for (int i = 0; i < cachedRuns; i++) {
                long t0 = System.nanoTime();
                attempt(policy, i % domains);
                hit[i] = System.nanoTime() - t0;
            }
            long hitCpu = (threads.getCurrentThreadCpuTime() - threadCpu0) / cachedRuns;
            if (cache.misses() != misses) {
                throw new IllegalStateException("the cached runs missed the cache " + (cache.misses() - misses) + " times");
            }
            report("cached (every answer in memory)", hit, hitCpu, "thread CPU");
        }
    }

    /** One attempt's DANE work: the domain's decision and its MX host's. */
    private static void attempt(DanePolicy policy, int i) {
        String domain = "d" + i + ".bench.test";
        DaneDomain d = policy.domain(domain, false);
        DaneHost h = policy.host(d, "mx." + domain);
        if (h.status() != DaneHost.Status.USABLE) {
            throw new IllegalStateException(domain + ": " + d + " / " + h);
        }
    }

    private static void report(String what, long[] nanos, long cpuPerAttempt, String cpuKind) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%-46s n=%-7d wall median %s  p90 %s  p99 %s   %s per attempt: %s%n", what, s.length,
                show(BenchSupport.percentile(s, 50)), show(BenchSupport.percentile(s, 90)),
                show(BenchSupport.percentile(s, 99)), cpuKind, show(cpuPerAttempt));
    }

    private static String show(long nanos) {
        return nanos >= 1_000_000 ? String.format("%.2f ms", nanos / 1e6) : String.format("%.2f us", nanos / 1e3);
    }
}
