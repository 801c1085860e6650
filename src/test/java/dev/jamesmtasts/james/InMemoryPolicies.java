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
import dev.jamesmtasts.cache.StoredPolicyView;
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
    private final ConcurrentMap<String, Object[]> changes = new ConcurrentHashMap<>();
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

    /** Answers {@code first} to the first {@code n} lookups of {@code domain}, then {@code then}. */
    void answerThenChange(String domain, int n, CacheResult first, CacheResult then) {
        lookups.remove(domain);
        answers.put(domain, first);
        changes.put(domain, new Object[] {n, then});
    }

    int lookups(String domain) {
        AtomicInteger n = lookups.get(domain);
        return n == null ? 0 : n.get();
    }

    @Override
    public CacheResult get(String domain) {
        int n = lookups.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
        Object[] change = changes.get(domain);
        if (change != null && n > (Integer) change[0]) {
            return (CacheResult) change[1];
        }
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
    public List<Map<String, Object>> list(String afterDomain, int limit) {
        List<Map<String, Object>> rows = new ArrayList<>();
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

    private static Map<String, Object> row(String domain, CacheResult r, boolean withText) {
        return StoredPolicyView.of(domain, r.recordId(), r.policy(), withText);
    }

    @Override
    public Map<String, Object> show(String domain) {
        CacheResult r = answers.get(domain);
        return r == null || r.policy() == null ? Map.of() : row(domain, r, true);
    }

    @Override
    public Map<String, Object> refresh(String domain) {
        Map<String, Object> m = new LinkedHashMap<>(show(domain));
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
