package dev.jamesmtasts.cache;

import java.util.HashMap;
import java.util.Map;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The {@code refresh_leases} table: one lease (lightweight transaction with a TTL) per unit of a
 * refresh round (round x index bucket x shard), so several nodes share a round with no domain done
 * twice, and a unit whose node died is taken over once its lease expires.
 */
final class RefreshLeaseTable {
    private final CqlCalls cql;
    private final int leaseTtlSeconds;
    private final int doneTtlSeconds;
    private final PreparedStatement acquire;
    private final PreparedStatement renew;
    private final PreparedStatement finish;
    private final PreparedStatement select;
    private final PreparedStatement selectOne;

    RefreshLeaseTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        this.leaseTtlSeconds = CqlCalls.ttlSeconds(settings.leaseTtl());
        // a done unit is remembered for two refresh intervals: the rest of its round, whatever the clock skew
        this.doneTtlSeconds = CqlCalls.ttlSeconds(settings.refreshInterval().multipliedBy(2));
        String table = settings.keyspace() + ".refresh_leases";
        acquire = cql.prepare("INSERT INTO " + table + " (round, bucket, shard, owner, done) "
                + "VALUES (?, ?, ?, ?, false) IF NOT EXISTS USING TTL ?");
        renew = cql.prepare("UPDATE " + table + " USING TTL ? SET owner = ? "
                + "WHERE round = ? AND bucket = ? AND shard = ? IF owner = ?");
        finish = cql.prepare("UPDATE " + table + " USING TTL ? SET done = true "
                + "WHERE round = ? AND bucket = ? AND shard = ? IF owner = ?");
        select = cql.prepare("SELECT bucket, shard, owner, done FROM " + table + " WHERE round = ?");
        selectOne = cql.prepare("SELECT owner, done FROM " + table + " WHERE round = ? AND bucket = ? AND shard = ?");
    }

    /** LWT: claims (round, bucket, shard) for {@code owner} for the lease TTL; false if someone holds or did it. */
    boolean acquire(long round, long bucket, int shard, String owner) {
        try {
            return cql.lwt(acquire.bind(round, bucket, shard, owner, leaseTtlSeconds), "acquire lease").wasApplied();
        } catch (StoreException e) {
            Lease l = resolve(e, round, bucket, shard);
            return l != null && owner.equals(l.owner) && !l.done;
        }
    }

    boolean renew(long round, long bucket, int shard, String owner) {
        try {
            return cql.lwt(renew.bind(leaseTtlSeconds, owner, round, bucket, shard, owner), "renew lease").wasApplied();
        } catch (StoreException e) {
            Lease l = resolve(e, round, bucket, shard);
            return l != null && owner.equals(l.owner);
        }
    }

    /** Marks the unit done for the rest of the round. */
    boolean finish(long round, long bucket, int shard, String owner) {
        for (int attempt = 1; ; attempt++) {
            try {
                return cql.lwt(finish.bind(doneTtlSeconds, round, bucket, shard, owner), "finish lease").wasApplied();
            } catch (StoreException e) {
                Lease l = resolve(e, round, bucket, shard);
                if (l == null || !owner.equals(l.owner)) {
                    return false;
                }
                if (l.done || attempt == 3) {
                    return l.done;
                }
                // still ours and not done: setting done again changes nothing, so try again (else the
                // other nodes would wait for the lease to expire before they may redo the unit)
            }
        }
    }

    /**
     * The lease row after a lightweight transaction on it ended with {@code e}: when its outcome is
     * unknown (Paxos contention between nodes, a coordinator timing out; seen with two nodes sharing a
     * round on a three-node cluster), a serial read completes any Paxos round in progress on the row and
     * tells what happened; null when there is no row. Any other failure is rethrown.
     */
    private Lease resolve(StoreException e, long round, long bucket, int shard) {
        if (!CqlCalls.outcomeUnknown(e)) {
            throw e;
        }
        Row r = cql.serialRead(selectOne.bind(round, bucket, shard), "read lease").one();
        return r == null ? null : new Lease(r.getString(0), !r.isNull(1) && r.getBoolean(1));
    }

    /** (bucket, shard) -> lease state of a round. */
    Map<Long, Map<Integer, Lease>> read(long round) {
        Map<Long, Map<Integer, Lease>> out = new HashMap<>();
        AsyncResultSet rs = cql.serialRead(select.bind(round), "read leases");
        while (true) {
            for (Row r : rs.currentPage()) {
                out.computeIfAbsent(r.getLong(0), k -> new HashMap<>())
                        .put(r.getInt(1), new Lease(r.getString(2), !r.isNull(3) && r.getBoolean(3)));
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = cql.await(rs.fetchNextPage(), "read leases (next page)");
        }
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
}
