package dev.jamesmtasts.cache;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.IntRange;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * Immutable settings of the policy cache, its store and its refresher. Every value has a documented
 * default; {@link #defaults()} is what production uses unless configured otherwise.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><td>keyspace</td><td>{@code mta_sts}</td></tr>
 *   <tr><td>replication</td><td>{@code {'class': 'SimpleStrategy', 'replication_factor': 1}}</td></tr>
 *   <tr><td>readConsistency</td><td>{@code LOCAL_QUORUM}: consistency of every read (see {@link #readConsistency})</td></tr>
 *   <tr><td>writeConsistency</td><td>{@code LOCAL_QUORUM}: consistency of every write, and of the commit of
 *       every lightweight transaction</td></tr>
 *   <tr><td>serialConsistency</td><td>{@code LOCAL_SERIAL}: the Paxos phase of the refresher's leases
 *       (lightweight transactions) and the serial reads of them</td></tr>
 *   <tr><td>storeTimeout</td><td>5 s: bound on every Cassandra call</td></tr>
 *   <tr><td>nearCacheSize</td><td>10,000 domains in memory</td></tr>
 *   <tr><td>nearCacheTtl</td><td>60 s: how long another node's newer write may go unseen here (plus
 *       one background store read: an entry past this TTL that still holds a valid answer is used once
 *       more while it is re-read in the background, see {@link PolicyCache})</td></tr>
 *   <tr><td>idCheckInterval</td><td>60 s: how often a get re-checks the TXT id. When a check is due and
 *       a valid answer is cached, the get returns that answer at once and the check runs in the
 *       background (stale-while-revalidate, see {@link PolicyCache}). 0 = every get checks, synchronously
 *       (no background revalidation at all, also not for an expired nearCacheTtl)</td></tr>
 *   <tr><td>lastUseWriteInterval</td><td>1 h: at most one last_use write per domain per node per interval</td></tr>
 *   <tr><td>backoff</td><td>5 min: RFC 8461 §3.3 retry delay after a failed first fetch (a stored backoff
 *       row), and after a failed re-fetch of a cached policy (per node, in memory)</td></tr>
 *   <tr><td>flightTimeout</td><td>15 s: bound on a get waiting for a DNS/HTTPS lookup in flight, its own
 *       included (the lookup then goes on in the background and fills the cache for the next attempt)</td></tr>
 *   <tr><td>maxConcurrentLookups</td><td>8: first lookups (domains not in this node's near cache) running
 *       at once on this node; beyond it a get of such a domain answers a "busy" ERROR at once</td></tr>
 *   <tr><td>refreshInterval</td><td>24 h between refresh rounds</td></tr>
 *   <tr><td>staleAfter</td><td>12 h: a policy whose id was not checked for this long is refreshed</td></tr>
 *   <tr><td>deleteUnusedAfter</td><td>180 days: rows unused for this long are deleted</td></tr>
 *   <tr><td>refreshConcurrency</td><td>4 domains refreshed at once per node</td></tr>
 *   <tr><td>refreshWindow</td><td>1 h: a scheduled round's work is spread over this window</td></tr>
 *   <tr><td>refreshJitter</td><td>10 min: random delay added to each scheduled round's start</td></tr>
 *   <tr><td>leaseTtl</td><td>5 min: a node's claim on a share of a round; a dead node's share is taken
 *       over after it expires</td></tr>
 *   <tr><td>dueBucket</td><td>1 h: granularity of the due-time index partitions</td></tr>
 *   <tr><td>dueShards</td><td>16: shards per due bucket (the unit of work a node leases)</td></tr>
 *   <tr><td>onStoreOutage</td><td>{@link StoreOutage#LIVE}: what a get does for a domain this node holds
 *       nothing about in memory while the store cannot be read (see {@link StoreOutage})</td></tr>
 * </table>
 * The body of a policy is re-fetched at least every max_age/2 even when its id is unchanged (a
 * domain owner may change a policy without changing the id); that rule has no setting.
 *
 * <p>In James these come from {@code conf/mta-sts.properties} (keys {@code cassandra.keyspace},
 * {@code cache.*}, {@code refresher.*}: see {@code docs/configuration.md}); the reader takes the defaults
 * and the allowed ranges from here, so each range is declared and checked once, below.
 */
public final class CacheSettings {
    // The allowed values, declared once: the builder checks them, the configuration reader
    // (james.MtaStsConfiguration) documents them under the property keys.
    /** What {@link Builder#keyspace} accepts (a CQL identifier, so it can be written into CQL unquoted). */
    public static final String KEYSPACE_RULE = "a letter, then letters, digits or _ (at most 48 characters)";
    private static final String KEYSPACE_PATTERN = "[A-Za-z][A-Za-z0-9_]{0,47}";
    /** The replication factor of {@link Builder#simpleStrategy}. */
    public static final IntRange REPLICATION_FACTOR = IntRange.between(1, 100);
    /**
     * What {@link Builder#readConsistency} accepts. Not ANY (not a read level), not EACH_QUORUM (Cassandra
     * refuses it for reads), not SERIAL/LOCAL_SERIAL (the serial reads of the leases use
     * {@link #SERIAL_CONSISTENCY}).
     */
    public static final Set<DefaultConsistencyLevel> READ_CONSISTENCY = Collections.unmodifiableSet(EnumSet.of(
            DefaultConsistencyLevel.ONE, DefaultConsistencyLevel.LOCAL_ONE, DefaultConsistencyLevel.TWO,
            DefaultConsistencyLevel.THREE, DefaultConsistencyLevel.QUORUM, DefaultConsistencyLevel.LOCAL_QUORUM,
            DefaultConsistencyLevel.ALL));
    /**
     * What {@link Builder#writeConsistency} accepts: the read levels and EACH_QUORUM. Not ANY: a write
     * parked only as a hint is not readable, and the lightweight transactions' commit refuses it.
     */
    public static final Set<DefaultConsistencyLevel> WRITE_CONSISTENCY = Collections.unmodifiableSet(EnumSet.of(
            DefaultConsistencyLevel.ONE, DefaultConsistencyLevel.LOCAL_ONE, DefaultConsistencyLevel.TWO,
            DefaultConsistencyLevel.THREE, DefaultConsistencyLevel.QUORUM, DefaultConsistencyLevel.LOCAL_QUORUM,
            DefaultConsistencyLevel.EACH_QUORUM, DefaultConsistencyLevel.ALL));
    /** What {@link Builder#serialConsistency} accepts: the two Paxos levels. */
    public static final Set<DefaultConsistencyLevel> SERIAL_CONSISTENCY = Collections.unmodifiableSet(EnumSet.of(
            DefaultConsistencyLevel.SERIAL, DefaultConsistencyLevel.LOCAL_SERIAL));
    public static final IntRange NEAR_CACHE_SIZE = IntRange.atLeast(1);
    public static final DurationRange NEAR_CACHE_TTL = DurationRange.nonNegative();
    public static final DurationRange ID_CHECK_INTERVAL = DurationRange.nonNegative();
    public static final DurationRange LAST_USE_WRITE_INTERVAL = DurationRange.nonNegative();
    public static final DurationRange BACKOFF = DurationRange.positive();
    public static final DurationRange REFRESH_INTERVAL = DurationRange.positive();
    public static final DurationRange STALE_AFTER = DurationRange.positive();
    public static final DurationRange DELETE_UNUSED_AFTER = DurationRange.positive();
    public static final IntRange REFRESH_CONCURRENCY = IntRange.between(1, 1024);
    public static final DurationRange REFRESH_WINDOW = DurationRange.nonNegative();
    public static final IntRange MAX_CONCURRENT_LOOKUPS = IntRange.between(1, 1024);
    private static final DurationRange POSITIVE = DurationRange.positive();
    private static final DurationRange NON_NEGATIVE = DurationRange.nonNegative();
    /** Cassandra TTLs and the due-bucket arithmetic are whole seconds. */
    private static final DurationRange WHOLE_SECONDS = DurationRange.atLeast(Duration.ofSeconds(1));
    private static final IntRange DUE_SHARDS = IntRange.between(1, 1024);

    /**
     * What a get does while the store (Cassandra) cannot be read and this node holds nothing in memory
     * about the domain. Either way a valid policy held in memory is applied as usual, and a domain
     * whose TXT lookup fails is never answered "no policy" (RFC 8461 §5.1, §10.2).
     */
    public enum StoreOutage {
        /**
         * Look the policy up directly (TXT + HTTPS, decided by the same {@link PolicyDecisions} rules as a
         * first contact), keep it in memory, enforce it, and write it to the store once the store is back.
         * Mail keeps flowing, protected for domains whose policy can be fetched now, at the cost of one
         * DNS + HTTPS lookup per new domain per node. A policy stored in Cassandra but not held in this
         * node's memory is not seen meanwhile: the domain is treated as on a first contact.
         */
        LIVE,
        /** Answer ERROR (the mailet defers the mail) until the store is back: mail to new domains waits. */
        DEFER
    }

    private final String keyspace;
    private final String replication;
    private final DefaultConsistencyLevel readConsistency;
    private final DefaultConsistencyLevel writeConsistency;
    private final DefaultConsistencyLevel serialConsistency;
    private final Duration storeTimeout;
    private final int nearCacheSize;
    private final Duration nearCacheTtl;
    private final Duration idCheckInterval;
    private final Duration lastUseWriteInterval;
    private final Duration backoff;
    private final Duration flightTimeout;
    private final int maxConcurrentLookups;
    private final Duration refreshInterval;
    private final Duration staleAfter;
    private final Duration deleteUnusedAfter;
    private final int refreshConcurrency;
    private final Duration refreshWindow;
    private final Duration refreshJitter;
    private final Duration leaseTtl;
    private final Duration dueBucket;
    private final int dueShards;
    private final StoreOutage onStoreOutage;

    private CacheSettings(Builder b) {
        keyspace = b.keyspace;
        replication = b.replication;
        readConsistency = b.readConsistency;
        writeConsistency = b.writeConsistency;
        serialConsistency = b.serialConsistency;
        storeTimeout = b.storeTimeout;
        nearCacheSize = b.nearCacheSize;
        nearCacheTtl = b.nearCacheTtl;
        idCheckInterval = b.idCheckInterval;
        lastUseWriteInterval = b.lastUseWriteInterval;
        backoff = b.backoff;
        flightTimeout = b.flightTimeout;
        maxConcurrentLookups = b.maxConcurrentLookups;
        refreshInterval = b.refreshInterval;
        staleAfter = b.staleAfter;
        deleteUnusedAfter = b.deleteUnusedAfter;
        refreshConcurrency = b.refreshConcurrency;
        refreshWindow = b.refreshWindow;
        refreshJitter = b.refreshJitter;
        leaseTtl = b.leaseTtl;
        dueBucket = b.dueBucket;
        dueShards = b.dueShards;
        onStoreOutage = b.onStoreOutage;
    }

    public static CacheSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this object's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.keyspace = keyspace;
        b.replication = replication;
        b.readConsistency = readConsistency;
        b.writeConsistency = writeConsistency;
        b.serialConsistency = serialConsistency;
        b.storeTimeout = storeTimeout;
        b.nearCacheSize = nearCacheSize;
        b.nearCacheTtl = nearCacheTtl;
        b.idCheckInterval = idCheckInterval;
        b.lastUseWriteInterval = lastUseWriteInterval;
        b.backoff = backoff;
        b.flightTimeout = flightTimeout;
        b.maxConcurrentLookups = maxConcurrentLookups;
        b.refreshInterval = refreshInterval;
        b.staleAfter = staleAfter;
        b.deleteUnusedAfter = deleteUnusedAfter;
        b.refreshConcurrency = refreshConcurrency;
        b.refreshWindow = refreshWindow;
        b.refreshJitter = refreshJitter;
        b.leaseTtl = leaseTtl;
        b.dueBucket = dueBucket;
        b.dueShards = dueShards;
        b.onStoreOutage = onStoreOutage;
        return b;
    }

    public String keyspace() { return keyspace; }
    /** The CQL replication map, e.g. {@code {'class': 'SimpleStrategy', 'replication_factor': 1}}. */
    public String replication() { return replication; }
    /**
     * Consistency of every read of the policy, due-index and lease tables. The default LOCAL_QUORUM
     * is one replica with replication factor 1 (a single node) and two of three with factor 3: with
     * writes at LOCAL_QUORUM too, every read overlaps the last write on at least one replica (2 + 2 > 3),
     * so a node sees what another node stored, and one node of three may be down.
     */
    public DefaultConsistencyLevel readConsistency() { return readConsistency; }
    /** Consistency of every write, and of the commit phase of every lightweight transaction. */
    public DefaultConsistencyLevel writeConsistency() { return writeConsistency; }
    /** The Paxos level of the lightweight transactions (refresher leases and state) and of their serial reads. */
    public DefaultConsistencyLevel serialConsistency() { return serialConsistency; }
    public Duration storeTimeout() { return storeTimeout; }
    public int nearCacheSize() { return nearCacheSize; }
    public Duration nearCacheTtl() { return nearCacheTtl; }
    public Duration idCheckInterval() { return idCheckInterval; }
    public Duration lastUseWriteInterval() { return lastUseWriteInterval; }
    public Duration backoff() { return backoff; }
    public Duration flightTimeout() { return flightTimeout; }
    public int maxConcurrentLookups() { return maxConcurrentLookups; }
    public Duration refreshInterval() { return refreshInterval; }
    public Duration staleAfter() { return staleAfter; }
    public Duration deleteUnusedAfter() { return deleteUnusedAfter; }
    public int refreshConcurrency() { return refreshConcurrency; }
    public Duration refreshWindow() { return refreshWindow; }
    public Duration refreshJitter() { return refreshJitter; }
    public Duration leaseTtl() { return leaseTtl; }
    public Duration dueBucket() { return dueBucket; }
    public int dueShards() { return dueShards; }
    public StoreOutage onStoreOutage() { return onStoreOutage; }

    @Override
    public String toString() {
        return "CacheSettings{keyspace=" + keyspace + ", replication=" + replication + ", readConsistency="
                + readConsistency + ", writeConsistency=" + writeConsistency + ", serialConsistency="
                + serialConsistency + ", storeTimeout=" + storeTimeout
                + ", nearCacheSize=" + nearCacheSize + ", nearCacheTtl=" + nearCacheTtl + ", idCheckInterval="
                + idCheckInterval + ", lastUseWriteInterval=" + lastUseWriteInterval + ", backoff=" + backoff
                + ", flightTimeout=" + flightTimeout + ", maxConcurrentLookups=" + maxConcurrentLookups
                + ", refreshInterval=" + refreshInterval + ", staleAfter=" + staleAfter + ", deleteUnusedAfter="
                + deleteUnusedAfter + ", refreshConcurrency=" + refreshConcurrency + ", refreshWindow=" + refreshWindow
                + ", refreshJitter=" + refreshJitter + ", leaseTtl=" + leaseTtl + ", dueBucket=" + dueBucket
                + ", dueShards=" + dueShards + ", onStoreOutage=" + onStoreOutage + "}";
    }

    /**
     * Builder; every setter checks its argument against the range constants above and throws
     * {@link SettingException} naming the setting.
     */
    public static final class Builder {
        private String keyspace = "mta_sts";
        private String replication = simpleStrategy(1);
        private DefaultConsistencyLevel readConsistency = DefaultConsistencyLevel.LOCAL_QUORUM;
        private DefaultConsistencyLevel writeConsistency = DefaultConsistencyLevel.LOCAL_QUORUM;
        private DefaultConsistencyLevel serialConsistency = DefaultConsistencyLevel.LOCAL_SERIAL;
        private Duration storeTimeout = Duration.ofSeconds(5);
        private int nearCacheSize = 10_000;
        private Duration nearCacheTtl = Duration.ofSeconds(60);
        private Duration idCheckInterval = Duration.ofSeconds(60);
        private Duration lastUseWriteInterval = Duration.ofHours(1);
        private Duration backoff = Duration.ofMinutes(5);
        // A delivery thread waits this long at most for a lookup; the lookup itself goes on (up to dns.timeout
        // + fetch.timeout) on the lookup executor. Short, so that tarpitted policy hosts hold lookup
        // slots (cache.maxConcurrentLookups), not delivery threads; a legitimate policy host slower than
        // this costs its first mail one retry, answered from the cache.
        private Duration flightTimeout = Duration.ofSeconds(15);
        private int maxConcurrentLookups = 8;
        private Duration refreshInterval = Duration.ofHours(24);
        private Duration staleAfter = Duration.ofHours(12);
        private Duration deleteUnusedAfter = Duration.ofDays(180);
        private int refreshConcurrency = 4;
        private Duration refreshWindow = Duration.ofHours(1);
        private Duration refreshJitter = Duration.ofMinutes(10);
        private Duration leaseTtl = Duration.ofMinutes(5);
        private Duration dueBucket = Duration.ofHours(1);
        private int dueShards = 16;
        private StoreOutage onStoreOutage = StoreOutage.LIVE;

        private Builder() {
        }

        /** The replication map of a SimpleStrategy keyspace with {@code rf} replicas ({@link #REPLICATION_FACTOR}). */
        public static String simpleStrategy(int rf) {
            REPLICATION_FACTOR.check("replication factor", rf);
            return "{'class': 'SimpleStrategy', 'replication_factor': " + rf + "}";
        }

        /** A CQL identifier ({@link #KEYSPACE_RULE}), stored lower-case as CQL folds unquoted names. */
        public Builder keyspace(String v) {
            if (v == null || !v.matches(KEYSPACE_PATTERN)) {
                throw new SettingException("keyspace", "must be " + KEYSPACE_RULE);
            }
            keyspace = v.toLowerCase(Locale.ROOT);
            return this;
        }

        /** A CQL replication map, e.g. {@code {'class': 'NetworkTopologyStrategy', 'dc1': 3}}. */
        public Builder replication(String v) {
            if (v == null || !v.trim().startsWith("{") || !v.trim().endsWith("}") || v.contains(";")) {
                throw new SettingException("replication", "must be a CQL map literal {...}");
            }
            replication = v.trim();
            return this;
        }

        /** One of {@link #READ_CONSISTENCY}. */
        public Builder readConsistency(DefaultConsistencyLevel v) {
            readConsistency = checkLevel("readConsistency", READ_CONSISTENCY, v);
            return this;
        }

        /** One of {@link #WRITE_CONSISTENCY}. */
        public Builder writeConsistency(DefaultConsistencyLevel v) {
            writeConsistency = checkLevel("writeConsistency", WRITE_CONSISTENCY, v);
            return this;
        }

        /** One of {@link #SERIAL_CONSISTENCY}. */
        public Builder serialConsistency(DefaultConsistencyLevel v) {
            serialConsistency = checkLevel("serialConsistency", SERIAL_CONSISTENCY, v);
            return this;
        }

        private static DefaultConsistencyLevel checkLevel(String setting, Set<DefaultConsistencyLevel> allowed,
                                                          DefaultConsistencyLevel v) {
            if (v == null || !allowed.contains(v)) {
                throw new SettingException(setting, "must be one of " + allowed);
            }
            return v;
        }

        public Builder storeTimeout(Duration v) { storeTimeout = POSITIVE.check("storeTimeout", v); return this; }
        public Builder nearCacheSize(int v) { nearCacheSize = NEAR_CACHE_SIZE.check("nearCacheSize", v); return this; }
        public Builder nearCacheTtl(Duration v) { nearCacheTtl = NEAR_CACHE_TTL.check("nearCacheTtl", v); return this; }
        public Builder idCheckInterval(Duration v) { idCheckInterval = ID_CHECK_INTERVAL.check("idCheckInterval", v); return this; }
        public Builder lastUseWriteInterval(Duration v) {
            lastUseWriteInterval = LAST_USE_WRITE_INTERVAL.check("lastUseWriteInterval", v);
            return this;
        }
        public Builder backoff(Duration v) { backoff = BACKOFF.check("backoff", v); return this; }
        public Builder flightTimeout(Duration v) { flightTimeout = POSITIVE.check("flightTimeout", v); return this; }
        public Builder maxConcurrentLookups(int v) {
            maxConcurrentLookups = MAX_CONCURRENT_LOOKUPS.check("maxConcurrentLookups", v);
            return this;
        }
        public Builder refreshInterval(Duration v) { refreshInterval = REFRESH_INTERVAL.check("refreshInterval", v); return this; }
        public Builder staleAfter(Duration v) { staleAfter = STALE_AFTER.check("staleAfter", v); return this; }
        public Builder deleteUnusedAfter(Duration v) { deleteUnusedAfter = DELETE_UNUSED_AFTER.check("deleteUnusedAfter", v); return this; }
        public Builder refreshConcurrency(int v) { refreshConcurrency = REFRESH_CONCURRENCY.check("refreshConcurrency", v); return this; }
        public Builder refreshWindow(Duration v) { refreshWindow = REFRESH_WINDOW.check("refreshWindow", v); return this; }
        public Builder refreshJitter(Duration v) { refreshJitter = NON_NEGATIVE.check("refreshJitter", v); return this; }
        /** Cassandra TTLs are whole seconds: at least 1 s. */
        public Builder leaseTtl(Duration v) { leaseTtl = WHOLE_SECONDS.check("leaseTtl", v); return this; }
        /** At least 1 s. */
        public Builder dueBucket(Duration v) { dueBucket = WHOLE_SECONDS.check("dueBucket", v); return this; }
        public Builder dueShards(int v) { dueShards = DUE_SHARDS.check("dueShards", v); return this; }
        public Builder onStoreOutage(StoreOutage v) {
            if (v == null) {
                throw new SettingException("onStoreOutage", "must be live or defer");
            }
            onStoreOutage = v;
            return this;
        }

        public CacheSettings build() {
            return new CacheSettings(this);
        }
    }
}
