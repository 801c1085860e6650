package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * How every table class talks to Cassandra: asynchronous calls with a bounded timeout, failures
 * turned into {@link StoreException}, never a hang. Each call says what kind of statement it runs
 * ({@link #read}, {@link #write}, {@link #lwt}, {@link #serialRead}) and gets the consistency levels
 * of {@link CacheSettings} for that kind: no statement runs at the driver's (or, with James's own
 * session, James's) default level.
 */
final class CqlCalls {
    private final CqlSession session;
    private final Duration timeout;
    private final ConsistencyLevel readLevel;
    private final ConsistencyLevel writeLevel;
    private final ConsistencyLevel serialLevel;

    CqlCalls(CqlSession session, CacheSettings settings) {
        this.session = session;
        this.timeout = settings.storeTimeout();
        this.readLevel = settings.readConsistency();
        this.writeLevel = settings.writeConsistency();
        this.serialLevel = settings.serialConsistency();
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

    /** A read (SELECT) at the read consistency; waits for it. Further pages keep that level. */
    AsyncResultSet read(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(readLevel), what);
    }

    /** A plain write (INSERT, UPDATE, DELETE without IF) at the write consistency; waits for it. */
    AsyncResultSet write(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(writeLevel), what);
    }

    /** Starts a plain write at the write consistency, without waiting. */
    CompletionStage<AsyncResultSet> startWrite(Statement<?> st) {
        return session.executeAsync(st.setConsistencyLevel(writeLevel).setTimeout(timeout));
    }

    /**
     * A lightweight transaction (IF ...): Paxos at the serial consistency, its commit at the write
     * consistency; waits for it.
     */
    AsyncResultSet lwt(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(writeLevel).setSerialConsistencyLevel(serialLevel), what);
    }

    /**
     * A read of rows written by lightweight transactions that must see any of them committed or in
     * progress: read at the serial consistency (Cassandra then runs Paxos for it).
     */
    AsyncResultSet serialRead(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(serialLevel), what);
    }

    /** Runs {@code st} (with the store timeout unless it has its own) and waits for it. */
    private AsyncResultSet get(Statement<?> st, String what) {
        Statement<?> s = st.getTimeout() == null ? st.setTimeout(timeout) : st;
        return execute(session, s, timeout, what);
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
