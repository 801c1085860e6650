package dev.jamesmtasts.james;

import java.util.List;
import java.util.Map;

/**
 * Administration of the policy cache, as used by the JMX MBean ({@link MtaStsMBean}) and the
 * {@code mta-sts jmx} command. The Cassandra-backed PolicyCache implements it (lead: wire it in
 * {@link MtaStsBackends#create}). Data is plain {@code String}/{@code Long} maps so that a JMX client
 * needs no project class.
 *
 * <p>Row keys used by {@link #list} and {@link #show}: {@code domain}, {@code mode}, {@code id}
 * (TXT record id), {@code mx} (comma-separated patterns), {@code maxAge} (seconds),
 * {@code fetched} and {@code expires} (ISO-8601 instants), {@code lastUsed}, and for
 * {@link #show} also {@code policy} (the policy text as served). Missing values are omitted.
 */
public interface PolicyCacheAdmin {
    /**
     * At most {@code limit} cached policies in domain order, starting strictly after
     * {@code afterDomain} (null or empty: from the first). Paging: pass the last domain of a page.
     */
    List<Map<String, String>> list(String afterDomain, int limit);

    /** The cached policy of {@code domain}, or an empty map when none is cached. */
    Map<String, String> show(String domain);

    /**
     * Looks the policy of {@code domain} up now (TXT id and body), stores the result, and returns
     * the row as {@link #show} would plus {@code result} (what happened, in words).
     */
    Map<String, String> refresh(String domain);

    /** Removes the cached policy of {@code domain}; true when there was one. */
    boolean evict(String domain);

    /** Runs one refresher round now and returns its summary counts (e.g. refreshed, failed, deleted). */
    Map<String, String> runRefreshRound();

    /** Cache counters by name (hits, misses, fetches, fetch failures, ...). */
    Map<String, Long> counters();
}
