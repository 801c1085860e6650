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
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;

/**
 * How every table class talks to Cassandra: asynchronous calls with a bounded timeout, failures
 * turned into {@link StoreException}, never a hang. Each call says what kind of statement it runs
 * ({@link #read}, {@link #write}, {@link #lwt}, {@link #serialRead}) and gets the consistency levels
 * of {@link CacheSettings} for that kind: no statement runs at the driver's (or, with James's own
 * session, James's) default level.
 *
 * <p>Reads and plain writes are marked idempotent, so that the driver retries them on another node
 * when the node it asked dies with the request in flight (a killed node of a cluster): every plain
 * write here sets whole cells (policy columns with their own {@code USING TIMESTAMP}, and the driver
 * keeps one client timestamp across the retries of a request), so running it twice changes nothing.
 * Lightweight transactions are not idempotent (a retried {@code IF NOT EXISTS} could report "not
 * applied" for its own insert) and are never retried by the driver.
 *
 * <p>Public so that {@code reporting} (TLS-RPT results and send leases, in the same keyspace) talks to
 * Cassandra by the same rules and consistency levels.
 */
public final class CqlCalls {
    private final CqlSession session;
    private final Duration timeout;
    private final ConsistencyLevel readLevel;
    private final ConsistencyLevel writeLevel;
    private final ConsistencyLevel serialLevel;

    public CqlCalls(CqlSession session, CacheSettings settings) {
        this.session = session;
        this.timeout = settings.storeTimeout();
        this.readLevel = settings.readConsistency();
        this.writeLevel = settings.writeConsistency();
        this.serialLevel = settings.serialConsistency();
    }

    public CqlSession session() {
        return session;
    }

    public Duration timeout() {
        return timeout;
    }

    public PreparedStatement prepare(String cql) {
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
    public AsyncResultSet read(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(readLevel).setIdempotent(true), what);
    }

    /** A plain write (INSERT, UPDATE, DELETE without IF) at the write consistency; waits for it. */
    public AsyncResultSet write(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(writeLevel).setIdempotent(true), what);
    }

    /** Starts a plain write at the write consistency, without waiting. */
    public CompletionStage<AsyncResultSet> startWrite(Statement<?> st) {
        return session.executeAsync(st.setConsistencyLevel(writeLevel).setIdempotent(true).setTimeout(timeout));
    }

    /**
     * A lightweight transaction (IF ...): Paxos at the serial consistency, its commit at the write
     * consistency; waits for it.
     */
    public AsyncResultSet lwt(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(writeLevel).setSerialConsistencyLevel(serialLevel), what);
    }

    /**
     * A lightweight transaction whose repetition changes nothing (an {@code IF NOT EXISTS} of a fixed
     * value, a monotonic {@code IF x < ?}), retried up to three times while its outcome is unknown
     * ({@link #outcomeUnknown}); whether it was applied is then not known, so callers must not need it.
     */
    public void lwtRepeatable(Statement<?> st, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                lwt(st, what);
                return;
            } catch (StoreException e) {
                if (attempt == 3 || !outcomeUnknown(e)) {
                    throw e;
                }
            }
        }
    }

    /**
     * A read of rows written by lightweight transactions that must see any of them committed or in
     * progress: read at the serial consistency (Cassandra then runs Paxos for it).
     */
    public AsyncResultSet serialRead(Statement<?> st, String what) {
        return get(st.setConsistencyLevel(serialLevel).setIdempotent(true), what);
    }

    /** Runs {@code st} (with the store timeout unless it has its own) and waits for it. */
    private AsyncResultSet get(Statement<?> st, String what) {
        Statement<?> s = st.getTimeout() == null ? st.setTimeout(timeout) : st;
        return execute(session, s, timeout, what);
    }

    public AsyncResultSet await(CompletionStage<AsyncResultSet> stage, String what) {
        return await(stage, timeout, what);
    }

    public static AsyncResultSet execute(CqlSession session, Statement<?> st, Duration timeout, String what) {
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

    /**
     * True when {@code e} leaves the outcome of a lightweight transaction unknown: it may or may not have
     * been applied (Paxos contention or a coordinator timeout: a CAS write timeout or "unknown"
     * result, or no answer within the store timeout). A serial read of the row tells.
     */
    public static boolean outcomeUnknown(StoreException e) {
        Throwable c = e.getCause();
        return c instanceof CASWriteUnknownException
                || c instanceof WriteTimeoutException && ((WriteTimeoutException) c).getWriteType() == DefaultWriteType.CAS
                || c instanceof DriverTimeoutException
                || c instanceof TimeoutException;
    }

    public static int ttlSeconds(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.getSeconds()));
    }

    /** Write timestamps: the newest fetch wins cell by cell whatever order writes arrive in. */
    public static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }
}
