package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The {@code policy_due} table: every stored domain filed under the time bucket of its due time
 * ({@link StoredPolicy#due}) and a shard, so a refresh round reads only the partitions that are due
 * and never scans the policy table.
 */
final class DueIndexTable {
    private final CqlCalls cql;
    private final Duration staleAfter;
    private final long bucketSeconds;
    private final int shards;
    private final PreparedStatement insert;
    private final PreparedStatement delete;
    private final PreparedStatement select;
    private final PreparedStatement probe;

    DueIndexTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        this.staleAfter = settings.staleAfter();
        this.bucketSeconds = settings.dueBucket().getSeconds();
        this.shards = settings.dueShards();
        String table = settings.keyspace() + ".policy_due";
        insert = cql.prepare("INSERT INTO " + table + " (bucket, shard, domain, due) VALUES (?, ?, ?, ?)");
        delete = cql.prepare("DELETE FROM " + table + " WHERE bucket = ? AND shard = ? AND domain = ?");
        select = cql.prepare("SELECT domain, due FROM " + table + " WHERE bucket = ? AND shard = ?");
        probe = cql.prepare("SELECT domain FROM " + table + " WHERE bucket = ? AND shard = ? LIMIT 1");
    }

    long bucketOf(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), bucketSeconds);
    }

    int shardOf(String domain) {
        return (domain.hashCode() & 0x7fffffff) % shards;
    }

    /** Moves the entry of {@code domain} from the due time of {@code before} (null: none) to that of {@code after}. */
    void reindex(String domain, StoredPolicy before, StoredPolicy after) {
        int shard = shardOf(domain);
        Instant due = after.due(staleAfter);
        long bucket = bucketOf(due);
        cql.write(insert.bind(bucket, shard, domain, due), "index " + domain);
        if (before != null) {
            long old = bucketOf(before.due(staleAfter));
            if (old != bucket) {
                cql.write(delete.bind(old, shard, domain), "unindex " + domain);
            }
        }
    }

    /** Puts the entry for {@code row} where its due time says (idempotent), with due no earlier than {@code notBefore}. */
    void index(StoredPolicy row, Instant notBefore) {
        Instant due = row.due(staleAfter);
        if (due.isBefore(notBefore)) {
            due = notBefore;
        }
        cql.write(insert.bind(bucketOf(due), shardOf(row.domain()), row.domain(), due), "index " + row.domain());
    }

    CompletionStage<AsyncResultSet> indexAsync(StoredPolicy row) {
        Instant due = row.due(staleAfter);
        return cql.startWrite(insert.bind(bucketOf(due), shardOf(row.domain()), row.domain(), due));
    }

    /** Removes the entry of a row that is being deleted. */
    void unindex(StoredPolicy row) {
        unindex(bucketOf(row.due(staleAfter)), shardOf(row.domain()), row.domain());
    }

    void unindex(long bucket, int shard, String domain) {
        cql.write(delete.bind(bucket, shard, domain), "unindex " + domain);
    }

    /** Every entry of one index partition (domain -> due). */
    Map<String, Instant> readDue(long bucket, int shard) {
        Map<String, Instant> out = new HashMap<>();
        AsyncResultSet rs = cql.read(select.bind(bucket, shard).setPageSize(1000), "read due index");
        while (true) {
            for (Row r : rs.currentPage()) {
                out.put(r.getString(0), r.getInstant(1));
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = cql.await(rs.fetchNextPage(), "read due index (next page)");
        }
    }

    boolean hasDue(long bucket, int shard) {
        return cql.read(probe.bind(bucket, shard), "probe due index").one() != null;
    }
}
