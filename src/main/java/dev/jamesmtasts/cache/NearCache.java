package dev.jamesmtasts.cache;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bounded in-process cache in front of Cassandra. Lock-free reads; when full, an insert evicts
 * the least recently loaded of a small sample of entries (approximate LRU without a global lock).
 * Entries are refreshed from the store after the near-cache TTL, which bounds how long another
 * node's newer write can go unseen here.
 */
final class NearCache {
    private static final int EVICTION_SAMPLE = 8;
    private final ConcurrentHashMap<String, NearEntry> map;
    private final int maxSize;

    NearCache(int maxSize) {
        this.maxSize = maxSize;
        this.map = new ConcurrentHashMap<>(Math.min(maxSize, 1 << 16) * 2);
    }

    NearEntry get(String domain) {
        return map.get(domain);
    }

    void put(String domain, NearEntry e) {
        if (map.put(domain, e) == null && map.size() > maxSize) {
            evictOne(domain);
        }
    }

    void remove(String domain) {
        map.remove(domain);
    }

    void clear() {
        map.clear();
    }

    int size() {
        return map.size();
    }

    private void evictOne(String keep) {
        String victim = null;
        long oldest = Long.MAX_VALUE;
        int seen = 0;
        Iterator<Map.Entry<String, NearEntry>> it = map.entrySet().iterator();
        while (it.hasNext() && seen < EVICTION_SAMPLE) {
            Map.Entry<String, NearEntry> en = it.next();
            if (en.getKey().equals(keep)) {
                continue;
            }
            seen++;
            if (en.getValue().loadedAt < oldest) {
                oldest = en.getValue().loadedAt;
                victim = en.getKey();
            }
        }
        if (victim != null) {
            map.remove(victim);
        }
    }
}
