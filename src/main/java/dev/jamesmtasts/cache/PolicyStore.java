package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The Cassandra side of the cache, as its callers need it: a policy row and its due-index entry move
 * together. One class per table does the CQL ({@link PolicyTable}, {@link DueIndexTable},
 * {@link RefreshLeaseTable}, {@link RefreshStateTable}); {@link PolicySchema} holds the DDL. Every call
 * is asynchronous with a bounded timeout; failures become {@link StoreException}, never a hang.
 *
 * <p>A store may exist before Cassandra can be reached ({@link #unconnected}): until {@link #connect}
 * succeeds every call fails at once with a {@link StoreException}, so James starts and the cache runs
 * on memory and live lookups ({@link CacheSettings.StoreOutage}). Reads and policy writes keep
 * {@link #status()} up to date.
 */
public final class PolicyStore {
    private final CacheSettings settings;
    private final Clock clock;
    private final StoreStatus status;
    /** Null until connected. */
    private volatile Tables tables;

    /** The prepared tables over one session. */
    private static final class Tables {
        final PolicyTable policies;
        final DueIndexTable dueIndex;
        final RefreshLeaseTable leases;
        final RefreshStateTable refreshState;

        Tables(CqlSession session, CacheSettings settings) {
            CqlCalls cql = new CqlCalls(session, settings);
            this.policies = new PolicyTable(cql, settings);
            this.dueIndex = new DueIndexTable(cql, settings);
            this.leases = new RefreshLeaseTable(cql, settings);
            this.refreshState = new RefreshStateTable(cql, settings);
        }
    }

    private PolicyStore(CacheSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.status = new StoreStatus(settings.onStoreOutage(), clock);
    }

    /**
     * Creates the keyspace and tables when missing (idempotent: safe on every start of every node)
     * and prepares the statements.
     */
    public static PolicyStore create(CqlSession session, CacheSettings settings, Clock clock) {
        Objects.requireNonNull(session);
        PolicyStore store = new PolicyStore(settings, clock);
        store.connect(session);
        return store;
    }

    /** A store not connected yet: every call fails with {@link StoreException} until {@link #connect}. */
    public static PolicyStore unconnected(CacheSettings settings, Clock clock) {
        return new PolicyStore(settings, clock);
    }

    /**
     * Creates the schema when missing and prepares the statements over {@code session}; nothing
     * happens when already connected. A failure leaves the store unconnected (and says why in
     * {@link #status()}) and is thrown.
     */
    public synchronized void connect(CqlSession session) {
        if (tables != null) {
            return;
        }
        try {
            PolicySchema.create(session, settings);
            Tables t = new Tables(session, settings);
            // No index entry can be older than the moment the schema first existed.
            t.refreshState.init(t.dueIndex.bucketOf(clock.instant()));
            tables = t;
        } catch (RuntimeException e) {
            status.down(e.toString());
            throw e;
        }
        status.up();
    }

    public boolean connected() {
        return tables != null;
    }

    /** The store's availability as last seen by this node. */
    public StoreStatus status() {
        return status;
    }

    private Tables tables() {
        Tables t = tables;
        if (t == null) {
            throw new StoreException("policy store not connected: " + status.reading().reason(), null);
        }
        return t;
    }

    /**
     * One cheap read (a row that never exists) to see whether the store answers; updates
     * {@link #status()}. Used by the background watch of the James side.
     */
    public void probe() {
        read(".probe"); // not a domain name: no row can have it
    }

    /** Notes in {@link #status()} whether a store call reached the store. */
    private <T> T tracked(java.util.function.Supplier<T> call) {
        try {
            T r = call.get();
            status.up();
            return r;
        } catch (StoreException e) {
            if (e.getCause() != null) { // null cause: not connected, or skipped without asking the store
                status.down(e.getMessage());
            }
            throw e;
        }
    }

    /** The CQL that {@link #create} runs, in order (also printed in the README). */
    public static List<String> schema(CacheSettings settings) {
        return PolicySchema.statements(settings);
    }

    CacheSettings settings() {
        return settings;
    }

    DueIndexTable dueIndex() {
        return tables().dueIndex;
    }

    RefreshLeaseTable leases() {
        return tables().leases;
    }

    /** The lowest due-index bucket that may hold entries (the current one when never set). */
    long lowBucket() {
        Tables t = tables();
        return t.refreshState.lowBucket(t.dueIndex.bucketOf(clock.instant()));
    }

    void advanceLowBucket(long to) {
        tables().refreshState.advanceLowBucket(to);
    }

    // ---------------------------------------------------------------- policy rows (+ their index entry)

    /** The row for {@code domain}, if any. */
    public Optional<StoredPolicy> read(String domain) {
        return tracked(() -> tables().policies.read(domain));
    }

    /**
     * Stores a successful fetch made at {@code fetchedAt}; valid_until = fetchedAt + max_age. Returns
     * the row as it now reads (assuming this write is the newest).
     */
    StoredPolicy writeFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, StoredPolicy previous) {
        return tracked(() -> {
            Tables t = tables();
            t.policies.writeFetched(domain, recordId, policy, fetchedAt, previous == null || previous.policy() == null);
            StoredPolicy now = StoredPolicy.fetched(domain, recordId, policy, fetchedAt, previous);
            t.dueIndex.reindex(domain, previous, now);
            return now;
        });
    }

    /**
     * Bulk import (benchmarks, migrations, seeding a new keyspace): stores a fetch made at
     * {@code fetchedAt} as a first insert, with its due-index entry; asynchronous, so callers can keep
     * many in flight. Same convergence rule as {@link #writeFetched}.
     */
    public CompletionStage<Void> importFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt) {
        StoredPolicy row = StoredPolicy.fetched(domain, recordId, policy, fetchedAt, null);
        Tables t = tables();
        return t.policies.writeFetchedAsync(domain, recordId, policy, fetchedAt, true)
                .thenCompose(rs -> t.dueIndex.indexAsync(row))
                .thenApply(rs -> null);
    }

    /** Remembers a failed fetch until {@code until} (RFC 8461 §3.3); never touches a stored policy. */
    void writeBackoff(String domain, Instant at, Instant until, String reason, StoredPolicy previous) {
        Tables t = tables();
        t.policies.writeBackoff(domain, at, until, reason);
        if (previous == null || previous.policy() == null) {
            t.dueIndex.reindex(domain, previous, StoredPolicy.withBackoff(domain, until, reason, previous));
        }
    }

    /** Records that the TXT id was confirmed at {@code at} (moves the row's due time). */
    void writeChecked(StoredPolicy row, Instant at) {
        Tables t = tables();
        t.policies.writeChecked(row.domain(), at);
        t.dueIndex.reindex(row.domain(), row, row.withCheck(at));
    }

    /** Fire-and-forget last-use write; a failure is only logged (it is a hint for deletion of unused rows). */
    void writeLastUse(String domain, Instant at) {
        tables().policies.writeLastUse(domain, at);
    }

    /** Deletes the row (as of {@code at}: a newer fetch from another node survives) and its index entry. */
    void delete(String domain, Instant at, StoredPolicy previous) {
        Tables t = tables();
        t.policies.delete(domain, at);
        if (previous != null) {
            t.dueIndex.unindex(previous);
        }
    }

    /** One page of rows; {@code pagingToken} is null for the first page. */
    public PolicyPage list(int pageSize, String pagingToken) {
        return tables().policies.list(pageSize, pagingToken);
    }

    /**
     * At most {@code limit} rows in store order (Cassandra token order, stable across calls), starting
     * strictly after the row of {@code afterDomain} (null or empty: from the first). Paging by "the
     * last domain of the previous page", as the JMX MBean does.
     */
    public List<StoredPolicy> listAfter(String afterDomain, int limit) {
        return tables().policies.listAfter(afterDomain, limit);
    }
}
