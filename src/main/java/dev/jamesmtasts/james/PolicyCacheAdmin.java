package dev.jamesmtasts.james;

import java.util.List;
import java.util.Map;

import dev.jamesmtasts.cache.StoredPolicyView;

/**
 * Administration of the policy cache, as used by the JMX MBean ({@link MtaStsMBean}) and the
 * {@code mta-sts jmx} command. The Cassandra-backed PolicyCache implements it (lead: wire it in
 * {@link MtaStsBackends#create}).
 *
 * <p>Rows from {@link #list}, {@link #show} and {@link #refresh} have the shape of
 * {@link StoredPolicyView} (the same field names as {@code mta-sts cache --json}); {@link #show} and
 * {@link #refresh} include {@value StoredPolicyView#POLICY_TEXT}. The MBean turns them into string maps
 * with {@link StoredPolicyView#forJmx}; WebAdmin serialises them as they are.
 */
public interface PolicyCacheAdmin {
    /** The key {@link #refresh} adds to the row: the outcome and its detail. */
    String RESULT = "result";

    /**
     * At most {@code limit} cached policies in domain order, starting strictly after
     * {@code afterDomain} (null or empty: from the first). Paging: pass the last domain of a page.
     */
    List<Map<String, Object>> list(String afterDomain, int limit);

    /** The cached policy of {@code domain}, or an empty map when none is cached. */
    Map<String, Object> show(String domain);

    /**
     * Looks the policy of {@code domain} up now (TXT id and body), stores the result, and returns
     * the row as {@link #show} would plus {@value #RESULT} (what happened, in words).
     */
    Map<String, Object> refresh(String domain);

    /** Removes the cached policy of {@code domain}; true when there was one. */
    boolean evict(String domain);

    /** Runs one refresher round now and returns its summary counts (e.g. refreshed, failed, deleted). */
    Map<String, String> runRefreshRound();

    /** Cache counters by name (hits, misses, fetches, fetch failures, ...). */
    Map<String, Long> counters();
}
