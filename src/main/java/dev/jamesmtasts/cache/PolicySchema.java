package dev.jamesmtasts.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

/**
 * The keyspace and its four tables (DDL only; one class per table reads and writes them):
 * <ul>
 *   <li>{@code policies}: one row per domain ({@link PolicyTable});</li>
 *   <li>{@code policy_due}: the due-time index the refresher walks ({@link DueIndexTable});</li>
 *   <li>{@code refresh_leases}: who refreshes which index partition this round ({@link RefreshLeaseTable});</li>
 *   <li>{@code refresh_state}: the lowest index bucket that may hold entries ({@link RefreshStateTable}).</li>
 * </ul>
 */
final class PolicySchema {
    private PolicySchema() {
    }

    /** The CQL that {@link #create} runs, in order (also printed in the README). */
    static List<String> statements(CacheSettings settings) {
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

    /** Creates the keyspace and tables when missing (idempotent: safe on every start of every node). */
    static void create(CqlSession session, CacheSettings settings) {
        for (String cql : statements(settings)) {
            CqlCalls.execute(session, SimpleStatement.newInstance(cql).setTimeout(Duration.ofSeconds(60)),
                    Duration.ofSeconds(60), "schema");
        }
    }
}
