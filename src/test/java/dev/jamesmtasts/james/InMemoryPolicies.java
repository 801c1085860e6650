package dev.jamesmtasts.james;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * Test double of the policy cache (one collaborator of the James side): a programmable
 * PolicyProvider plus a PolicyCacheAdmin over the same map. Unknown domains are NOT_FOUND.
 */
final class InMemoryPolicies implements MtaStsBackend, PolicyProvider, PolicyCacheAdmin {
    private static volatile InMemoryPolicies shared = new InMemoryPolicies();

    private final ConcurrentMap<String, CacheResult> answers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    private final AtomicLong refreshRounds = new AtomicLong();
    volatile boolean started;
    volatile boolean stopped;

    static InMemoryPolicies shared() {
        return shared;
    }

    static InMemoryPolicies reset() {
        shared = new InMemoryPolicies();
        return shared;
    }

    static StsPolicy policy(StsPolicy.Mode mode, String... mx) {
        List<MxPattern> list = new ArrayList<>();
        for (String m : mx) {
            try {
                list.add(MxPattern.parse(m));
            } catch (StsSyntaxException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return StsPolicy.of(mode, list, 86400);
    }

    void put(String domain, StsPolicy policy) {
        answers.put(domain, CacheResult.policy(policy, "id" + System.nanoTime(), true, "test"));
    }

    void answer(String domain, CacheResult result) {
        answers.put(domain, result);
    }

    int lookups(String domain) {
        AtomicInteger n = lookups.get(domain);
        return n == null ? 0 : n.get();
    }

    @Override
    public CacheResult get(String domain) {
        lookups.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
        CacheResult r = answers.get(domain);
        return r != null ? r : CacheResult.notFound("no TXT record");
    }

    @Override
    public PolicyProvider provider() {
        return this;
    }

    @Override
    public PolicyCacheAdmin admin() {
        return this;
    }

    @Override
    public void start() {
        started = true;
    }

    @Override
    public void stop() {
        stopped = true;
    }

    @Override
    public List<Map<String, String>> list(String afterDomain, int limit) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (Map.Entry<String, CacheResult> e : new TreeMap<>(answers).entrySet()) {
            if (afterDomain != null && e.getKey().compareTo(afterDomain) <= 0) {
                continue;
            }
            if (e.getValue().policy() == null) {
                continue;
            }
            if (rows.size() == limit) {
                break;
            }
            rows.add(row(e.getKey(), e.getValue(), false));
        }
        return rows;
    }

    private static Map<String, String> row(String domain, CacheResult r, boolean withText) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("domain", domain);
        m.put("mode", r.policy().mode().text());
        m.put("id", r.recordId());
        StringBuilder mx = new StringBuilder();
        for (MxPattern p : r.policy().mx()) {
            mx.append(mx.length() == 0 ? "" : ",").append(p);
        }
        m.put("mx", mx.toString());
        m.put("maxAge", Long.toString(r.policy().maxAgeSeconds()));
        if (withText) {
            m.put("policy", r.policy().text());
        }
        return m;
    }

    @Override
    public Map<String, String> show(String domain) {
        CacheResult r = answers.get(domain);
        return r == null || r.policy() == null ? Map.of() : row(domain, r, true);
    }

    @Override
    public Map<String, String> refresh(String domain) {
        Map<String, String> m = new LinkedHashMap<>(show(domain));
        m.put("result", answers.containsKey(domain) ? "unchanged" : "no policy");
        return m;
    }

    @Override
    public boolean evict(String domain) {
        return answers.remove(domain) != null;
    }

    @Override
    public Map<String, String> runRefreshRound() {
        refreshRounds.incrementAndGet();
        return Map.of("refreshed", Integer.toString(answers.size()), "failed", "0");
    }

    @Override
    public Map<String, Long> counters() {
        long total = 0;
        for (AtomicInteger n : lookups.values()) {
            total += n.get();
        }
        return Map.of("lookups", total, "refreshRounds", refreshRounds.get());
    }
}
