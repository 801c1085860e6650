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
 */
public final class PolicyStore {
    private final CacheSettings settings;
    private final Clock clock;
    private final PolicyTable policies;
    private final DueIndexTable dueIndex;
    private final RefreshLeaseTable leases;
    private final RefreshStateTable refreshState;

    private PolicyStore(CqlSession session, CacheSettings settings, Clock clock) {
        CqlCalls cql = new CqlCalls(session, settings);
        this.settings = settings;
        this.clock = clock;
        this.policies = new PolicyTable(cql, settings);
        this.dueIndex = new DueIndexTable(cql, settings);
        this.leases = new RefreshLeaseTable(cql, settings);
        this.refreshState = new RefreshStateTable(cql, settings);
    }

    /**
     * Creates the keyspace and tables when missing (idempotent: safe on every start of every node)
     * and prepares the statements.
     */
    public static PolicyStore create(CqlSession session, CacheSettings settings, Clock clock) {
        Objects.requireNonNull(session);
        PolicySchema.create(session, settings);
        PolicyStore store = new PolicyStore(session, settings, clock);
        // No index entry can be older than the moment the schema first existed.
        store.refreshState.init(store.dueIndex.bucketOf(clock.instant()));
        return store;
    }

    /** The CQL that {@link #create} runs, in order (also printed in the README). */
    public static List<String> schema(CacheSettings settings) {
        return PolicySchema.statements(settings);
    }

    CacheSettings settings() {
        return settings;
    }

    DueIndexTable dueIndex() {
        return dueIndex;
    }

    RefreshLeaseTable leases() {
        return leases;
    }

    /** The lowest due-index bucket that may hold entries (the current one when never set). */
    long lowBucket() {
        return refreshState.lowBucket(dueIndex.bucketOf(clock.instant()));
    }

    void advanceLowBucket(long to) {
        refreshState.advanceLowBucket(to);
    }

    // ---------------------------------------------------------------- policy rows (+ their index entry)

    /** The row for {@code domain}, if any. */
    public Optional<StoredPolicy> read(String domain) {
        return policies.read(domain);
    }

    /**
     * Stores a successful fetch made at {@code fetchedAt}; valid_until = fetchedAt + max_age. Returns
     * the row as it now reads (assuming this write is the newest).
     */
    StoredPolicy writeFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, StoredPolicy previous) {
        policies.writeFetched(domain, recordId, policy, fetchedAt, previous == null || previous.policy() == null);
        StoredPolicy now = StoredPolicy.fetched(domain, recordId, policy, fetchedAt, previous);
        dueIndex.reindex(domain, previous, now);
        return now;
    }

    /**
     * Bulk import (benchmarks, migrations, seeding a new keyspace): stores a fetch made at
     * {@code fetchedAt} as a first insert, with its due-index entry; asynchronous, so callers can keep
     * many in flight. Same convergence rule as {@link #writeFetched}.
     */
    public CompletionStage<Void> importFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt) {
        StoredPolicy row = StoredPolicy.fetched(domain, recordId, policy, fetchedAt, null);
        return policies.writeFetchedAsync(domain, recordId, policy, fetchedAt, true)
                .thenCompose(rs -> dueIndex.indexAsync(row))
                .thenApply(rs -> null);
    }

    /** Remembers a failed fetch until {@code until} (RFC 8461 §3.3); never touches a stored policy. */
    void writeBackoff(String domain, Instant at, Instant until, String reason, StoredPolicy previous) {
        policies.writeBackoff(domain, at, until, reason);
        if (previous == null || previous.policy() == null) {
            dueIndex.reindex(domain, previous, StoredPolicy.withBackoff(domain, until, reason, previous));
        }
    }

    /** Records that the TXT id was confirmed at {@code at} (moves the row's due time). */
    void writeChecked(StoredPolicy row, Instant at) {
        policies.writeChecked(row.domain(), at);
        dueIndex.reindex(row.domain(), row, row.withCheck(at));
    }

    /** Fire-and-forget last-use write; a failure is only logged (it is a hint for deletion of unused rows). */
    void writeLastUse(String domain, Instant at) {
        policies.writeLastUse(domain, at);
    }

    /** Deletes the row (as of {@code at}: a newer fetch from another node survives) and its index entry. */
    void delete(String domain, Instant at, StoredPolicy previous) {
        policies.delete(domain, at);
        if (previous != null) {
            dueIndex.unindex(previous);
        }
    }

    /** One page of rows; {@code pagingToken} is null for the first page. */
    public PolicyPage list(int pageSize, String pagingToken) {
        return policies.list(pageSize, pagingToken);
    }

    /**
     * At most {@code limit} rows in store order (Cassandra token order, stable across calls), starting
     * strictly after the row of {@code afterDomain} (null or empty: from the first). Paging by "the
     * last domain of the previous page", as the JMX MBean does.
     */
    public List<StoredPolicy> listAfter(String afterDomain, int limit) {
        return policies.listAfter(afterDomain, limit);
    }
}
