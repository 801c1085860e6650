package dev.jamesmtasts.cache;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The {@code refresh_state} table: one row holding the lowest due-index bucket that may still hold
 * entries, so a round starts there instead of at the epoch (advanced after every complete round).
 */
final class RefreshStateTable {
    private static final String STATE_ROW = "refresher";

    private final CqlCalls cql;
    private final PreparedStatement select;
    private final PreparedStatement init;
    private final PreparedStatement advance;

    RefreshStateTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String table = settings.keyspace() + ".refresh_state";
        select = cql.prepare("SELECT low_bucket FROM " + table + " WHERE name = ?");
        init = cql.prepare("INSERT INTO " + table + " (name, low_bucket) VALUES (?, ?) IF NOT EXISTS");
        advance = cql.prepare("UPDATE " + table + " SET low_bucket = ? WHERE name = ? IF low_bucket < ?");
    }

    /** Sets the low bucket when it is not set yet (no index entry can be older than the schema). */
    void init(long bucket) {
        cql.lwtRepeatable(init.bind(STATE_ROW, bucket), "init refresher state");
    }

    /** The low bucket, or {@code ifUnset} when the row is missing. */
    long lowBucket(long ifUnset) {
        Row r = cql.serialRead(select.bind(STATE_ROW), "read refresher state")
                .one();
        return r == null || r.isNull(0) ? ifUnset : r.getLong(0);
    }

    void advanceLowBucket(long to) {
        cql.lwtRepeatable(advance.bind(to, STATE_ROW, to), "advance refresher state");
    }
}
