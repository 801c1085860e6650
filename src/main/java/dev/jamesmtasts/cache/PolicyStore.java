package dev.jamesmtasts.cache;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Statement;

import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * The Cassandra side of the cache: schema, policy rows, the due-time index and the refresh leases.
 *
 * <p>Convergence (issue: several James nodes write the same rows): every policy column is written
 * {@code USING TIMESTAMP} = the fetch time in microseconds, so the newest successful fetch wins cell by
 * cell whatever order the writes arrive in; a late, older fetch from another node never overwrites a
 * newer one. A failed fetch only touches the backoff columns, so it can never erase a stored policy.
 * {@code last_use} is written separately (throttled by the cache). Every call is asynchronous with a
 * bounded timeout; failures become {@link StoreException}, never a hang.
 */
public final class PolicyStore {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyStore.class);
    private static final String STATE_ROW = "refresher";

    private final CqlSession session;
    private final CacheSettings settings;
    private final Clock clock;
    private final Duration timeout;
    private final long bucketSeconds;
    private final String ks;

    private final PreparedStatement selectPolicy;
    private final PreparedStatement writeFetched;
    private final PreparedStatement writeFetchedFirst;
    private final PreparedStatement writeBackoff;
    private final PreparedStatement writeLastUse;
    private final PreparedStatement writeChecked;
    private final PreparedStatement deletePolicy;
    private final PreparedStatement selectAll;
    private final PreparedStatement selectFirst;
    private final PreparedStatement selectAfter;
    private final PreparedStatement insertDue;
    private final PreparedStatement deleteDue;
    private final PreparedStatement selectDue;
    private final PreparedStatement probeDue;
    private final PreparedStatement acquireLease;
    private final PreparedStatement renewLease;
    private final PreparedStatement finishLease;
    private final PreparedStatement selectLeases;
    private final PreparedStatement selectLow;
    private final PreparedStatement initLow;
    private final PreparedStatement advanceLow;

    private PolicyStore(CqlSession session, CacheSettings settings, Clock clock) {
        this.session = session;
        this.settings = settings;
        this.clock = clock;
        this.timeout = settings.storeTimeout();
        this.bucketSeconds = settings.dueBucket().getSeconds();
        this.ks = settings.keyspace();
        String cols = "domain, record_id, mode, mx, max_age, policy_text, inserted, valid_until, last_update, "
                + "last_check, last_use, backoff, backoff_until, backoff_reason";
        selectPolicy = prepare("SELECT " + cols + " FROM " + ks + ".policies WHERE domain = ?");
        String fetchedSet = "record_id = :record_id, mode = :mode, mx = :mx, max_age = :max_age, "
                + "policy_text = :policy_text, valid_until = :valid_until, last_update = :last_update, "
                + "last_check = :last_update, backoff = false, backoff_until = null, backoff_reason = null";
        writeFetched = prepare("UPDATE " + ks + ".policies USING TIMESTAMP :ts SET " + fetchedSet
                + " WHERE domain = :domain");
        writeFetchedFirst = prepare("UPDATE " + ks + ".policies USING TIMESTAMP :ts SET " + fetchedSet
                + ", inserted = :last_update WHERE domain = :domain");
        writeBackoff = prepare("UPDATE " + ks + ".policies USING TIMESTAMP :ts SET backoff = true, "
                + "backoff_until = :until, backoff_reason = :reason WHERE domain = :domain");
        writeLastUse = prepare("UPDATE " + ks + ".policies USING TIMESTAMP :ts SET last_use = :at WHERE domain = :domain");
        writeChecked = prepare("UPDATE " + ks + ".policies USING TIMESTAMP :ts SET last_check = :at WHERE domain = :domain");
        deletePolicy = prepare("DELETE FROM " + ks + ".policies USING TIMESTAMP :ts WHERE domain = :domain");
        selectAll = prepare("SELECT " + cols + " FROM " + ks + ".policies");
        selectFirst = prepare("SELECT " + cols + " FROM " + ks + ".policies LIMIT ?");
        selectAfter = prepare("SELECT " + cols + " FROM " + ks + ".policies WHERE token(domain) > token(?) LIMIT ?");
        insertDue = prepare("INSERT INTO " + ks + ".policy_due (bucket, shard, domain, due) VALUES (?, ?, ?, ?)");
        deleteDue = prepare("DELETE FROM " + ks + ".policy_due WHERE bucket = ? AND shard = ? AND domain = ?");
        selectDue = prepare("SELECT domain, due FROM " + ks + ".policy_due WHERE bucket = ? AND shard = ?");
        probeDue = prepare("SELECT domain FROM " + ks + ".policy_due WHERE bucket = ? AND shard = ? LIMIT 1");
        acquireLease = prepare("INSERT INTO " + ks + ".refresh_leases (round, bucket, shard, owner, done) "
                + "VALUES (?, ?, ?, ?, false) IF NOT EXISTS USING TTL ?");
        renewLease = prepare("UPDATE " + ks + ".refresh_leases USING TTL ? SET owner = ? "
                + "WHERE round = ? AND bucket = ? AND shard = ? IF owner = ?");
        finishLease = prepare("UPDATE " + ks + ".refresh_leases USING TTL ? SET done = true "
                + "WHERE round = ? AND bucket = ? AND shard = ? IF owner = ?");
        selectLeases = prepare("SELECT bucket, shard, owner, done FROM " + ks + ".refresh_leases WHERE round = ?");
        selectLow = prepare("SELECT low_bucket FROM " + ks + ".refresh_state WHERE name = ?");
        initLow = prepare("INSERT INTO " + ks + ".refresh_state (name, low_bucket) VALUES (?, ?) IF NOT EXISTS");
        advanceLow = prepare("UPDATE " + ks + ".refresh_state SET low_bucket = ? WHERE name = ? IF low_bucket < ?");
    }

    /**
     * Creates the keyspace and tables when missing (idempotent: safe on every start of every node)
     * and prepares the statements.
     */
    public static PolicyStore create(CqlSession session, CacheSettings settings, Clock clock) {
        Objects.requireNonNull(session);
        for (String cql : schema(settings)) {
            execute(session, SimpleStatement.newInstance(cql).setTimeout(Duration.ofSeconds(60)), Duration.ofSeconds(60),
                    "schema");
        }
        PolicyStore store = new PolicyStore(session, settings, clock);
        // No index entry can be older than the moment the schema first existed.
        store.get(store.initLow.bind(STATE_ROW, store.bucketOf(clock.instant())), "init refresher state");
        return store;
    }

    /** The CQL that {@link #create} runs, in order (also printed in the README). */
    public static List<String> schema(CacheSettings settings) {
        String ks = settings.keyspace();
        List<String> l = new ArrayList<>();
        l.add("CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + settings.replication());
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".policies ("
                + "domain text PRIMARY KEY, "
                + "record_id text, mode text, mx frozen<list<text>>, max_age bigint, policy_text text, "
                + "inserted timestamp, valid_until timestamp, last_update timestamp, last_check timestamp, "
                + "last_use timestamp, backoff boolean, backoff_until timestamp, backoff_reason text)");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".policy_due ("
                + "bucket bigint, shard int, domain text, due timestamp, "
                + "PRIMARY KEY ((bucket, shard), domain))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".refresh_leases ("
                + "round bigint, bucket bigint, shard int, owner text, done boolean, "
                + "PRIMARY KEY ((round), bucket, shard))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".refresh_state (name text PRIMARY KEY, low_bucket bigint)");
        return l;
    }

    CacheSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- policy rows

    /** The row for {@code domain}, if any. */
    public Optional<StoredPolicy> read(String domain) {
        Row row = one(get(selectPolicy.bind(domain).setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM), "read " + domain));
        return Optional.ofNullable(row == null ? null : toPolicy(row));
    }

    /**
     * Stores a successful fetch made at {@code fetchedAt}; valid_until = fetchedAt + max_age. Returns
     * the row as it now reads (assuming this write is the newest).
     */
    StoredPolicy writeFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt,
                                     StoredPolicy previous) {
        get(bindFetched(domain, recordId, policy, fetchedAt, previous == null || previous.policy() == null),
                "store policy " + domain);
        StoredPolicy now = fetchedRow(domain, recordId, policy, fetchedAt, previous);
        reindex(domain, previous, now);
        return now;
    }

    /** The row a successful fetch produces (also kept in memory when the store is down). */
    static StoredPolicy fetchedRow(String domain, String recordId, StsPolicy policy, Instant fetchedAt,
                                   StoredPolicy previous) {
        return new StoredPolicy(domain, recordId, policy,
                previous != null && previous.inserted() != null ? previous.inserted() : fetchedAt,
                fetchedAt.plusSeconds(policy.maxAgeSeconds()), fetchedAt, fetchedAt,
                previous != null ? previous.lastUse() : null, false, null, null);
    }

    /** {@code previous} (possibly null) with a backoff until {@code until}; its policy, if any, untouched. */
    static StoredPolicy backoffRow(String domain, Instant until, String reason, StoredPolicy previous) {
        if (previous == null) {
            return new StoredPolicy(domain, null, null, null, null, null, null, null, true, until, reason);
        }
        return new StoredPolicy(domain, previous.recordId(), previous.policy(), previous.inserted(),
                previous.validUntil(), previous.lastUpdate(), previous.lastCheck(), previous.lastUse(), true, until, reason);
    }

    /**
     * Bulk import (benchmarks, migrations, seeding a new keyspace): stores a fetch made at
     * {@code fetchedAt} as a first insert, with its due-index entry; asynchronous, so callers can keep
     * many in flight. Same convergence rule as {@link #writeFetched}.
     */
    public CompletionStage<Void> importFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt) {
        StoredPolicy row = fetchedRow(domain, recordId, policy, fetchedAt, null);
        return session.executeAsync(bindFetched(domain, recordId, policy, fetchedAt, true).setTimeout(timeout))
                .thenCompose(rs -> indexAsync(row))
                .thenApply(rs -> null);
    }

    private BoundStatement bindFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, boolean first) {
        List<String> mx = new ArrayList<>(policy.mx().size());
        for (MxPattern p : policy.mx()) {
            mx.add(p.toString());
        }
        return (first ? writeFetchedFirst : writeFetched).boundStatementBuilder()
                .setLong("ts", micros(fetchedAt))
                .setString("record_id", recordId)
                .setString("mode", policy.mode().text())
                .setList("mx", mx, String.class)
                .setLong("max_age", policy.maxAgeSeconds())
                .setString("policy_text", policy.text())
                .setInstant("valid_until", fetchedAt.plusSeconds(policy.maxAgeSeconds()))
                .setInstant("last_update", fetchedAt)
                .setString("domain", domain)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM)
                .build();
    }

    /** Remembers a failed fetch until {@code until} (RFC 8461 §3.3); never touches a stored policy. */
    void writeBackoff(String domain, Instant at, Instant until, String reason, StoredPolicy previous) {
        get(writeBackoff.boundStatementBuilder().setLong("ts", micros(at)).setInstant("until", until)
                .setString("reason", reason).setString("domain", domain)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).build(), "store backoff " + domain);
        if (previous == null || previous.policy() == null) {
            reindex(domain, previous, backoffRow(domain, until, reason, previous));
        }
    }

    /** Records that the refresher confirmed the TXT id at {@code at} (moves the row's due time). */
    void writeChecked(StoredPolicy row, Instant at) {
        get(writeChecked.boundStatementBuilder().setLong("ts", micros(at)).setInstant("at", at)
                .setString("domain", row.domain()).setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).build(),
                "store check " + row.domain());
        reindex(row.domain(), row, withCheck(row, at));
    }

    static StoredPolicy withCheck(StoredPolicy r, Instant at) {
        return new StoredPolicy(r.domain(), r.recordId(), r.policy(), r.inserted(), r.validUntil(), r.lastUpdate(), at,
                r.lastUse(), r.backoff(), r.backoffUntil(), r.backoffReason());
    }

    /** Fire-and-forget last-use write; a failure is only logged (it is a hint for deletion of unused rows). */
    void touchLastUse(String domain, Instant at) {
        session.executeAsync(writeLastUse.boundStatementBuilder().setLong("ts", micros(at)).setInstant("at", at)
                        .setString("domain", domain).setTimeout(timeout).build())
                .whenComplete((rs, e) -> {
                    if (e != null) {
                        LOG.debug("last_use write for {} failed: {}", domain, e.toString());
                    }
                });
    }

    /** Deletes the row (as of {@code at}: a newer fetch from another node survives) and its index entry. */
    void delete(String domain, Instant at, StoredPolicy previous) {
        get(deletePolicy.boundStatementBuilder().setLong("ts", micros(at)).setString("domain", domain)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).build(), "delete " + domain);
        if (previous != null) {
            Instant due = previous.due(settings.staleAfter());
            get(deleteDue.bind(bucketOf(due), shardOf(domain), domain), "unindex " + domain);
        }
    }

    /** One page of rows; {@code pagingToken} is null for the first page. */
    public PolicyPage list(int pageSize, String pagingToken) {
        if (pageSize < 1 || pageSize > 5000) {
            throw new IllegalArgumentException("page size must be 1..5000");
        }
        BoundStatement st = selectAll.bind().setPageSize(pageSize);
        if (pagingToken != null && !pagingToken.isEmpty()) {
            try {
                st = st.setPagingState(ByteBuffer.wrap(Base64.getUrlDecoder().decode(pagingToken)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid paging token");
            }
        }
        AsyncResultSet rs = get(st, "list");
        List<StoredPolicy> items = new ArrayList<>(rs.remaining());
        for (Row r : rs.currentPage()) {
            items.add(toPolicy(r));
        }
        String next = null;
        if (rs.hasMorePages()) {
            ByteBuffer ps = rs.getExecutionInfo().getPagingState();
            if (ps != null) {
                byte[] b = new byte[ps.remaining()];
                ps.duplicate().get(b);
                next = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            }
        }
        return new PolicyPage(items, next);
    }

    /**
     * At most {@code limit} rows in store order (Cassandra token order, stable across calls), starting
     * strictly after the row of {@code afterDomain} (null or empty: from the first). Paging by "the
     * last domain of the previous page", as the JMX MBean does.
     */
    public List<StoredPolicy> listAfter(String afterDomain, int limit) {
        if (limit < 1 || limit > 5000) {
            throw new IllegalArgumentException("limit must be 1..5000");
        }
        BoundStatement st = afterDomain == null || afterDomain.isEmpty()
                ? selectFirst.bind(limit)
                : selectAfter.bind(afterDomain, limit);
        AsyncResultSet rs = get(st.setPageSize(limit), "list");
        List<StoredPolicy> items = new ArrayList<>(rs.remaining());
        for (Row r : rs.currentPage()) {
            items.add(toPolicy(r));
        }
        return items;
    }

    // ---------------------------------------------------------------- due-time index

    long bucketOf(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), bucketSeconds);
    }

    int shardOf(String domain) {
        return (domain.hashCode() & 0x7fffffff) % settings.dueShards();
    }

    /** Moves the index entry of {@code domain} from the due time of {@code before} to that of {@code after}. */
    void reindex(String domain, StoredPolicy before, StoredPolicy after) {
        int shard = shardOf(domain);
        Instant due = after.due(settings.staleAfter());
        long bucket = bucketOf(due);
        get(insertDue.bind(bucket, shard, domain, due), "index " + domain);
        if (before != null) {
            long old = bucketOf(before.due(settings.staleAfter()));
            if (old != bucket) {
                get(deleteDue.bind(old, shard, domain), "unindex " + domain);
            }
        }
    }

    /** Puts the entry for {@code row} where its due time says (idempotent), with due no earlier than {@code notBefore}. */
    void index(StoredPolicy row, Instant notBefore) {
        Instant due = row.due(settings.staleAfter());
        if (due.isBefore(notBefore)) {
            due = notBefore;
        }
        get(insertDue.bind(bucketOf(due), shardOf(row.domain()), row.domain(), due), "index " + row.domain());
    }

    CompletionStage<AsyncResultSet> indexAsync(StoredPolicy row) {
        Instant due = row.due(settings.staleAfter());
        return session.executeAsync(insertDue.bind(bucketOf(due), shardOf(row.domain()), row.domain(), due)
                .setTimeout(timeout));
    }

    void unindex(long bucket, int shard, String domain) {
        get(deleteDue.bind(bucket, shard, domain), "unindex " + domain);
    }

    /** Every entry of one index partition (domain -> due). */
    Map<String, Instant> readDue(long bucket, int shard) {
        Map<String, Instant> out = new HashMap<>();
        AsyncResultSet rs = get(selectDue.bind(bucket, shard).setPageSize(1000), "read due index");
        while (true) {
            for (Row r : rs.currentPage()) {
                out.put(r.getString(0), r.getInstant(1));
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = await(rs.fetchNextPage(), "read due index (next page)");
        }
    }

    boolean hasDue(long bucket, int shard) {
        return get(probeDue.bind(bucket, shard), "probe due index").one() != null;
    }

    // ---------------------------------------------------------------- leases and round state

    /** LWT: claims (round, bucket, shard) for {@code owner} for the lease TTL; false if someone holds or did it. */
    boolean acquireLease(long round, long bucket, int shard, String owner) {
        return get(acquireLease.bind(round, bucket, shard, owner, ttlSeconds(settings.leaseTtl())), "acquire lease")
                .wasApplied();
    }

    boolean renewLease(long round, long bucket, int shard, String owner) {
        return get(renewLease.bind(ttlSeconds(settings.leaseTtl()), owner, round, bucket, shard, owner), "renew lease")
                .wasApplied();
    }

    /** Marks the unit done for the rest of the round (kept for two refresh intervals). */
    boolean finishLease(long round, long bucket, int shard, String owner) {
        int keep = ttlSeconds(settings.refreshInterval().multipliedBy(2));
        return get(finishLease.bind(keep, round, bucket, shard, owner), "finish lease").wasApplied();
    }

    /** (bucket, shard) -> lease state of a round. */
    Map<Long, Map<Integer, Lease>> leases(long round) {
        Map<Long, Map<Integer, Lease>> out = new HashMap<>();
        AsyncResultSet rs = get(selectLeases.bind(round).setConsistencyLevel(ConsistencyLevel.LOCAL_SERIAL), "read leases");
        while (true) {
            for (Row r : rs.currentPage()) {
                out.computeIfAbsent(r.getLong(0), k -> new HashMap<>())
                        .put(r.getInt(1), new Lease(r.getString(2), !r.isNull(3) && r.getBoolean(3)));
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = await(rs.fetchNextPage(), "read leases (next page)");
        }
    }

    long lowBucket() {
        Row r = one(get(selectLow.bind(STATE_ROW).setConsistencyLevel(ConsistencyLevel.LOCAL_SERIAL), "read refresher state"));
        return r == null || r.isNull(0) ? bucketOf(clock.instant()) : r.getLong(0);
    }

    void advanceLowBucket(long to) {
        get(advanceLow.bind(to, STATE_ROW, to), "advance refresher state");
    }

    /** A lease row: who holds it (null once the lease TTL ran out) and whether the unit is done. */
    static final class Lease {
        final String owner;
        final boolean done;

        Lease(String owner, boolean done) {
            this.owner = owner;
            this.done = done;
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static int ttlSeconds(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.getSeconds()));
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private PreparedStatement prepare(String cql) {
        try {
            return session.prepareAsync(cql).toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted preparing: " + cql, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new StoreException("preparing failed: " + cql, e instanceof ExecutionException ? e.getCause() : e);
        }
    }

    private AsyncResultSet get(Statement<?> st, String what) {
        Statement<?> s = st.getTimeout() == null ? st.setTimeout(timeout) : st;
        return execute(session, s, timeout, what);
    }

    private AsyncResultSet await(CompletionStage<AsyncResultSet> stage, String what) {
        return await(stage, timeout, what);
    }

    private static AsyncResultSet execute(CqlSession session, Statement<?> st, Duration timeout, String what) {
        CompletionStage<AsyncResultSet> stage;
        try {
            stage = session.executeAsync(st);
        } catch (RuntimeException e) { // e.g. the session was closed
            throw new StoreException(what + ": " + e, e);
        }
        return await(stage, timeout, what);
    }

    private static AsyncResultSet await(CompletionStage<AsyncResultSet> stage, Duration timeout, String what) {
        CompletableFuture<AsyncResultSet> f = stage.toCompletableFuture();
        try {
            // the driver enforces the statement timeout; this bound only guards against a driver bug
            return f.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new StoreException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new StoreException(what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new StoreException(what + ": no answer within " + timeout, e);
        }
    }

    private static Row one(AsyncResultSet rs) {
        return rs.one();
    }

    static StoredPolicy toPolicy(Row r) {
        String domain = r.getString("domain");
        StsPolicy policy = null;
        String text = r.getString("policy_text");
        String mode = r.getString("mode");
        if (text != null) {
            try {
                policy = StsPolicy.parse(text);
            } catch (StsSyntaxException e) {
                policy = rebuild(domain, mode, r.getList("mx", String.class), r.getLong("max_age"));
            }
        } else if (mode != null) {
            policy = rebuild(domain, mode, r.getList("mx", String.class), r.getLong("max_age"));
        }
        return new StoredPolicy(domain, r.getString("record_id"), policy, r.getInstant("inserted"),
                r.getInstant("valid_until"), r.getInstant("last_update"), r.getInstant("last_check"),
                r.getInstant("last_use"), !r.isNull("backoff") && r.getBoolean("backoff"), r.getInstant("backoff_until"),
                r.getString("backoff_reason"));
    }

    private static StsPolicy rebuild(String domain, String mode, List<String> mx, long maxAge) {
        try {
            List<MxPattern> patterns = new ArrayList<>();
            for (String m : mx == null ? Collections.<String>emptyList() : mx) {
                patterns.add(MxPattern.parse(m));
            }
            StsPolicy.Mode m = StsPolicy.Mode.fromText(mode);
            return m == null ? null : StsPolicy.of(m, patterns, maxAge);
        } catch (StsSyntaxException | IllegalArgumentException e) {
            LOG.warn("unreadable stored policy for {}: {}", domain, e.toString());
            return null;
        }
    }
}
