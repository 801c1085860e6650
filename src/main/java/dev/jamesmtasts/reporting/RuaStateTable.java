package dev.jamesmtasts.reporting;

import java.time.Duration;
import java.time.Instant;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;

/**
 * The {@code tlsrpt_rua} table: consecutive delivery failures of each report URI (keyed by the URI
 * string as published), and until when a URI that failed {@code ruaMaxFailures} times in a row is
 * suppressed (not tried). Several policy domains may publish one rua (a reporting service), and a
 * failing one is not hammered daily per domain. Counting is read-then-write by the node holding a send
 * lease: two nodes failing on one URI at the same moment may count once; suppression is a courtesy
 * bound, not a guarantee that needs a transaction.
 */
final class RuaStateTable {
    private final CqlCalls cql;
    private final PreparedStatement select;
    private final PreparedStatement writeFailure;
    private final PreparedStatement delete;

    RuaStateTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String t = settings.keyspace() + ".tlsrpt_rua";
        select = cql.prepare("SELECT failures, last_error, last_failure, suppressed_until FROM " + t + " WHERE rua = ?");
        writeFailure = cql.prepare("INSERT INTO " + t + " (rua, failures, last_error, last_failure, suppressed_until) "
                + "VALUES (?, ?, ?, ?, ?) USING TTL ?");
        delete = cql.prepare("DELETE FROM " + t + " WHERE rua = ?");
    }

    /** A rua's row: consecutive failures and suppression. */
    static final class RuaState {
        final int failures;
        final String lastError;
        final Instant lastFailure;
        final Instant suppressedUntil;

        RuaState(int failures, String lastError, Instant lastFailure, Instant suppressedUntil) {
            this.failures = failures;
            this.lastError = lastError;
            this.lastFailure = lastFailure;
            this.suppressedUntil = suppressedUntil;
        }

        boolean suppressed(Instant now) {
            return suppressedUntil != null && suppressedUntil.isAfter(now);
        }
    }

    RuaState read(String rua) {
        Row r = cql.read(select.bind(rua), "tlsrpt rua").one();
        return r == null ? new RuaState(0, null, null, null)
                : new RuaState(r.isNull(0) ? 0 : r.getInt(0), r.getString(1), r.getInstant(2), r.getInstant(3));
    }

    /**
     * Counts a failure; at {@code maxFailures} in a row the rua is suppressed for {@code suppression} and
     * its count starts again. Returns the new state. The row lives {@code suppression} plus a week, so an
     * old count does not linger.
     */
    RuaState failed(String rua, RuaState before, Instant now, String error, int maxFailures, Duration suppression) {
        int n = before.failures + 1;
        Instant until = null;
        if (n >= maxFailures) {
            until = now.plus(suppression);
            n = 0;
        }
        int ttl = CqlCalls.ttlSeconds(suppression.plus(Duration.ofDays(7)));
        cql.write(writeFailure.bind(rua, n, error, now, until, ttl), "tlsrpt rua failure");
        return new RuaState(n, error, now, until);
    }

    /** A delivery succeeded: the count of consecutive failures ends. */
    void succeeded(String rua, RuaState before) {
        if (before.failures > 0 || before.suppressedUntil != null) {
            cql.write(delete.bind(rua), "tlsrpt rua success");
        }
    }
}
