package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * How every table class talks to Cassandra: asynchronous calls with a bounded timeout, failures
 * turned into {@link StoreException}, never a hang.
 */
final class CqlCalls {
    private final CqlSession session;
    private final Duration timeout;

    CqlCalls(CqlSession session, Duration timeout) {
        this.session = session;
        this.timeout = timeout;
    }

    CqlSession session() {
        return session;
    }

    Duration timeout() {
        return timeout;
    }

    PreparedStatement prepare(String cql) {
        try {
            return session.prepareAsync(cql).toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted preparing: " + cql, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new StoreException("preparing failed: " + cql, e instanceof ExecutionException ? e.getCause() : e);
        }
    }

    /** Runs {@code st} (with the store timeout unless it has its own) and waits for it. */
    AsyncResultSet get(Statement<?> st, String what) {
        Statement<?> s = st.getTimeout() == null ? st.setTimeout(timeout) : st;
        return execute(session, s, timeout, what);
    }

    /** Starts {@code st} with the store timeout, without waiting. */
    CompletionStage<AsyncResultSet> start(Statement<?> st) {
        return session.executeAsync(st.setTimeout(timeout));
    }

    AsyncResultSet await(CompletionStage<AsyncResultSet> stage, String what) {
        return await(stage, timeout, what);
    }

    static AsyncResultSet execute(CqlSession session, Statement<?> st, Duration timeout, String what) {
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

    static int ttlSeconds(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.getSeconds()));
    }

    /** Write timestamps: the newest fetch wins cell by cell whatever order writes arrive in. */
    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }
}
