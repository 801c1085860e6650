package dev.jamesmtasts.cache;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What one refresh round did on this node. */
public final class RoundSummary {
    private final long round;
    private final Map<RefreshReport.Effect, AtomicLong> outcomes = new EnumMap<>(RefreshReport.Effect.class);
    final AtomicLong unitsDone = new AtomicLong();
    final AtomicLong unitsTakenOver = new AtomicLong();
    final AtomicLong unitsSkippedEmpty = new AtomicLong();
    final AtomicLong indexRowsRead = new AtomicLong();
    final AtomicLong policyRowsRead = new AtomicLong();
    final AtomicLong rowsDue = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    volatile long durationMillis;
    volatile boolean complete;

    RoundSummary(long round) {
        this.round = round;
        for (RefreshReport.Effect o : RefreshReport.Effect.values()) {
            outcomes.put(o, new AtomicLong());
        }
    }

    void add(RefreshReport r) {
        outcomes.get(r.outcome()).incrementAndGet();
    }

    /** The round number: refresh-interval periods since the epoch (shared by every node). */
    public long round() { return round; }
    public long count(RefreshReport.Effect o) { return outcomes.get(o).get(); }
    /** Units (due-index bucket x shard) this node leased and finished. */
    public long unitsDone() { return unitsDone.get(); }
    /** Of those, units first seen leased by another node whose lease then expired. */
    public long unitsTakenOver() { return unitsTakenOver.get(); }
    /** Due-index rows read by this node (the refresher never scans the policy table). */
    public long indexRowsRead() { return indexRowsRead.get(); }
    /** Policy rows read by this node (one per due index entry). */
    public long policyRowsRead() { return policyRowsRead.get(); }
    /** Index entries that were due when read. */
    public long rowsDue() { return rowsDue.get(); }
    /** Domains whose refresh failed (a store error, or an unexpected exception, logged with its stack trace). */
    public long errors() { return errors.get(); }
    public long durationMillis() { return durationMillis; }
    /** True when every unit of the round was done (by this node or others). */
    public boolean complete() { return complete; }

    public Map<RefreshReport.Effect, Long> outcomes() {
        Map<RefreshReport.Effect, Long> m = new EnumMap<>(RefreshReport.Effect.class);
        outcomes.forEach((k, v) -> m.put(k, v.get()));
        return Collections.unmodifiableMap(m);
    }

    @Override
    public String toString() {
        return "round " + round + (complete ? " complete" : " incomplete") + " in " + durationMillis + " ms: " + outcomes()
                + ", units done " + unitsDone + " (taken over " + unitsTakenOver + "), index rows read " + indexRowsRead
                + ", policy rows read " + policyRowsRead + ", due " + rowsDue + ", errors " + errors;
    }
}
