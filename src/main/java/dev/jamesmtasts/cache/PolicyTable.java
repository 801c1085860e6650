package dev.jamesmtasts.cache;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * The {@code policies} table: one row per domain ({@link StoredPolicy}).
 *
 * <p>Convergence (several James nodes write the same rows): every policy column is written
 * {@code USING TIMESTAMP} = the fetch time in microseconds, so the newest successful fetch wins cell by
 * cell whatever order the writes arrive in; a late, older fetch from another node never overwrites a
 * newer one. A failed fetch only touches the backoff columns, so it can never erase a stored policy.
 * {@code last_use} is written separately (throttled by the cache).
 */
final class PolicyTable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyTable.class);

    private final CqlCalls cql;
    private final PreparedStatement select;
    private final PreparedStatement writeFetched;
    private final PreparedStatement writeFetchedFirst;
    private final PreparedStatement writeBackoff;
    private final PreparedStatement writeLastUse;
    private final PreparedStatement writeChecked;
    private final PreparedStatement delete;
    private final PreparedStatement selectAll;
    private final PreparedStatement selectFirst;
    private final PreparedStatement selectAfter;

    PolicyTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String table = settings.keyspace() + ".policies";
        String cols = "domain, record_id, mode, mx, max_age, policy_text, inserted, valid_until, last_update, "
                + "last_check, last_use, backoff, backoff_until, backoff_reason";
        select = cql.prepare("SELECT " + cols + " FROM " + table + " WHERE domain = ?");
        String fetchedSet = "record_id = :record_id, mode = :mode, mx = :mx, max_age = :max_age, "
                + "policy_text = :policy_text, valid_until = :valid_until, last_update = :last_update, "
                + "last_check = :last_update, backoff = false, backoff_until = null, backoff_reason = null";
        writeFetched = cql.prepare("UPDATE " + table + " USING TIMESTAMP :ts SET " + fetchedSet + " WHERE domain = :domain");
        writeFetchedFirst = cql.prepare("UPDATE " + table + " USING TIMESTAMP :ts SET " + fetchedSet
                + ", inserted = :last_update WHERE domain = :domain");
        writeBackoff = cql.prepare("UPDATE " + table + " USING TIMESTAMP :ts SET backoff = true, "
                + "backoff_until = :until, backoff_reason = :reason WHERE domain = :domain");
        writeLastUse = cql.prepare("UPDATE " + table + " USING TIMESTAMP :ts SET last_use = :at WHERE domain = :domain");
        writeChecked = cql.prepare("UPDATE " + table + " USING TIMESTAMP :ts SET last_check = :at WHERE domain = :domain");
        delete = cql.prepare("DELETE FROM " + table + " USING TIMESTAMP :ts WHERE domain = :domain");
        selectAll = cql.prepare("SELECT " + cols + " FROM " + table);
        selectFirst = cql.prepare("SELECT " + cols + " FROM " + table + " LIMIT ?");
        selectAfter = cql.prepare("SELECT " + cols + " FROM " + table + " WHERE token(domain) > token(?) LIMIT ?");
    }

    Optional<StoredPolicy> read(String domain) {
        Row row = cql.read(select.bind(domain), "read " + domain).one();
        return Optional.ofNullable(row == null ? null : toPolicy(row));
    }

    /** Stores a successful fetch made at {@code fetchedAt}; {@code first}: also sets {@code inserted}. */
    void writeFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, boolean first) {
        cql.write(bindFetched(domain, recordId, policy, fetchedAt, first), "store policy " + domain);
    }

    CompletionStage<AsyncResultSet> writeFetchedAsync(String domain, String recordId, StsPolicy policy, Instant fetchedAt,
                                                      boolean first) {
        return cql.startWrite(bindFetched(domain, recordId, policy, fetchedAt, first));
    }

    private BoundStatement bindFetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, boolean first) {
        List<String> mx = new ArrayList<>(policy.mx().size());
        for (MxPattern p : policy.mx()) {
            mx.add(p.toString());
        }
        return (first ? writeFetchedFirst : writeFetched).boundStatementBuilder()
                .setLong("ts", CqlCalls.micros(fetchedAt))
                .setString("record_id", recordId)
                .setString("mode", policy.mode().text())
                .setList("mx", mx, String.class)
                .setLong("max_age", policy.maxAgeSeconds())
                .setString("policy_text", policy.text())
                .setInstant("valid_until", fetchedAt.plusSeconds(policy.maxAgeSeconds()))
                .setInstant("last_update", fetchedAt)
                .setString("domain", domain)
                .build();
    }

    /** Remembers a failed fetch until {@code until}; touches only the backoff columns. */
    void writeBackoff(String domain, Instant at, Instant until, String reason) {
        cql.write(writeBackoff.boundStatementBuilder().setLong("ts", CqlCalls.micros(at)).setInstant("until", until)
                .setString("reason", reason).setString("domain", domain).build(), "store backoff " + domain);
    }

    void writeChecked(String domain, Instant at) {
        cql.write(writeChecked.boundStatementBuilder().setLong("ts", CqlCalls.micros(at)).setInstant("at", at)
                .setString("domain", domain).build(), "store check " + domain);
    }

    /** Fire-and-forget last-use write; a failure is only logged (it is a hint for deletion of unused rows). */
    void writeLastUse(String domain, Instant at) {
        cql.startWrite(writeLastUse.boundStatementBuilder().setLong("ts", CqlCalls.micros(at)).setInstant("at", at)
                        .setString("domain", domain).build())
                .whenComplete((rs, e) -> {
                    if (e != null) {
                        LOG.debug("last_use write for {} failed: {}", domain, e.toString());
                    }
                });
    }

    /** Deletes the row as of {@code at}: a newer fetch from another node survives. */
    void delete(String domain, Instant at) {
        cql.write(delete.boundStatementBuilder().setLong("ts", CqlCalls.micros(at)).setString("domain", domain).build(),
                "delete " + domain);
    }

    /** One page of rows; {@code pagingToken} is null for the first page. */
    PolicyPage list(int pageSize, String pagingToken) {
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
        AsyncResultSet rs = cql.read(st, "list");
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

    /** At most {@code limit} rows in token order, strictly after the row of {@code afterDomain} (null or empty: from the first). */
    List<StoredPolicy> listAfter(String afterDomain, int limit) {
        if (limit < 1 || limit > 5000) {
            throw new IllegalArgumentException("limit must be 1..5000");
        }
        BoundStatement st = afterDomain == null || afterDomain.isEmpty()
                ? selectFirst.bind(limit)
                : selectAfter.bind(afterDomain, limit);
        AsyncResultSet rs = cql.read(st.setPageSize(limit), "list");
        List<StoredPolicy> items = new ArrayList<>(rs.remaining());
        for (Row r : rs.currentPage()) {
            items.add(toPolicy(r));
        }
        return items;
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
