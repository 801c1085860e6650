package dev.jamesmtasts.reporting;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;
import dev.jamesmtasts.cache.StoreException;

/**
 * The {@code tlsrpt_interims} table: per (UTC day, policy domain), the report-id sequence numbers of that
 * day ({@code tlsrpt.ReportId#of(LocalDate, String, String, int)}) and the claim of the interim report in
 * progress. An interim report is an administrator's send-now of a day that has not ended: it covers the
 * day so far, and the day's own report ({@link ReportSendTable}) still follows after midnight.
 *
 * <p>{@code last_seq} is the last sequence number handed out for the day; every hand-out is a
 * lightweight transaction {@code IF last_seq = N} setting it to N+1, so no two reports of a day ever
 * get one id (RFC 8460 §4.4: report-id "a unique identifier"). Interims take 2, 3, ... (the plain id,
 * sequence 1, stays the one of a day reported once, in full). The day's report takes the next number
 * once, when first claimed, and keeps it in {@code daily_seq}: after it, no interim is claimed. An
 * interim claim is held until {@code lease_until} like a report claim, so that two nodes doing
 * send-now at once send one interim; it never blocks the day's report, whose claim is in
 * {@link ReportSendTable}.
 */
final class InterimReportTable {
    /** Sequence number of a day's first interim report. */
    static final int FIRST_INTERIM = 2;

    /** One row: the day's sequence numbers and its last interim report. */
    static final class Interim {
        final LocalDate day;
        final String policyDomain;
        final int lastSeq;
        final Integer dailySeq;
        final String state;
        final String owner;
        final Instant claimedAt;
        final Instant leaseUntil;

        Interim(LocalDate day, String policyDomain, int lastSeq, Integer dailySeq, String state, String owner,
                Instant claimedAt, Instant leaseUntil) {
            this.day = day;
            this.policyDomain = policyDomain;
            this.lastSeq = lastSeq;
            this.dailySeq = dailySeq;
            this.state = state;
            this.owner = owner;
            this.claimedAt = claimedAt;
            this.leaseUntil = leaseUntil;
        }

        /** An interim is being sent and its lease has not run out. */
        boolean heldAt(Instant now) {
            return "claimed".equals(state) && leaseUntil != null && leaseUntil.isAfter(now);
        }
    }

    private final CqlCalls cql;
    private final PreparedStatement insertInterim;
    private final PreparedStatement takeInterim;
    private final PreparedStatement insertDaily;
    private final PreparedStatement takeDaily;
    private final PreparedStatement finish;
    private final PreparedStatement selectOne;

    InterimReportTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String t = settings.keyspace() + ".tlsrpt_interims";
        insertInterim = cql.prepare("INSERT INTO " + t + " (day, policy_domain, last_seq, state, owner, claimed_at, lease_until) "
                + "VALUES (?, ?, " + FIRST_INTERIM + ", 'claimed', ?, ?, ?) IF NOT EXISTS USING TTL ?");
        takeInterim = cql.prepare("UPDATE " + t + " USING TTL ? SET last_seq = ?, state = 'claimed', owner = ?, claimed_at = ?, "
                + "lease_until = ? WHERE day = ? AND policy_domain = ? IF last_seq = ?");
        insertDaily = cql.prepare("INSERT INTO " + t + " (day, policy_domain, last_seq, daily_seq) VALUES (?, ?, 1, 1) "
                + "IF NOT EXISTS USING TTL ?");
        takeDaily = cql.prepare("UPDATE " + t + " USING TTL ? SET last_seq = ?, daily_seq = ? "
                + "WHERE day = ? AND policy_domain = ? IF last_seq = ?");
        finish = cql.prepare("UPDATE " + t + " USING TTL ? SET state = ?, lease_until = null, sent_at = ?, sent_to = ?, "
                + "last_error = ?, report_id = ? WHERE day = ? AND policy_domain = ? IF owner = ? AND claimed_at = ?");
        selectOne = cql.prepare("SELECT policy_domain, last_seq, daily_seq, state, owner, claimed_at, lease_until FROM " + t
                + " WHERE day = ? AND policy_domain = ?");
    }

    /** The row of (day, domain), read serially; null when neither an interim nor the day's report took a number. */
    Interim read(LocalDate day, String domain) {
        Row r = cql.serialRead(selectOne.bind(day, domain), "tlsrpt interim " + domain).one();
        return r == null ? null : toInterim(day, r);
    }

    /**
     * The sequence number the next report of the day would take, given its row {@code current} (null
     * when none): an interim the next free one (from {@link #FIRST_INTERIM}); the day's own report its
     * number when it has one, else the next free one (1 when nothing took one).
     */
    static int nextSeq(Interim current, boolean interim) {
        if (current == null) {
            return interim ? FIRST_INTERIM : 1;
        }
        return !interim && current.dailySeq != null ? current.dailySeq : current.lastSeq + 1;
    }

    /**
     * Claims the next interim report of (day, domain) for {@code owner}: its sequence number is
     * {@code lastSeq} of the answer. Null when the day's report already took its number, when another
     * interim is being sent (its lease is live), or when another node's claim won the race.
     */
    Interim claim(LocalDate day, String domain, String owner, Instant now, Instant leaseUntil, int ttl) {
        try {
            AsyncResultSet rs = cql.lwt(insertInterim.bind(day, domain, owner, now, leaseUntil, ttl),
                    "claim tlsrpt interim " + domain);
            if (rs.wasApplied()) {
                return new Interim(day, domain, FIRST_INTERIM, null, "claimed", owner, now, leaseUntil);
            }
            Interim current = toInterim(day, rs.one());
            if (current.dailySeq != null || current.heldAt(now)) {
                return null;
            }
            int seq = nextSeq(current, true);
            AsyncResultSet t = cql.lwt(takeInterim.bind(ttl, seq, owner, now, leaseUntil, day, domain, current.lastSeq),
                    "claim tlsrpt interim " + domain);
            return t.wasApplied() ? new Interim(day, domain, seq, null, "claimed", owner, now, leaseUntil) : null;
        } catch (StoreException e) {
            if (!CqlCalls.outcomeUnknown(e)) {
                throw e;
            }
            Interim s = read(day, domain);
            return s != null && s.dailySeq == null && owner.equals(s.owner) && now.equals(s.claimedAt)
                    && "claimed".equals(s.state) ? s : null;
        }
    }

    /**
     * The sequence number of the day's own report of (day, domain): taken once, the next after every
     * interim so far (1 when there was none), and the same on every later call (retries, take-overs).
     */
    int dailySeq(LocalDate day, String domain, int ttl) {
        for (int attempt = 1; ; attempt++) {
            try {
                AsyncResultSet rs = cql.lwt(insertDaily.bind(day, domain, ttl), "number tlsrpt report " + domain);
                if (rs.wasApplied()) {
                    return 1;
                }
                Interim current = toInterim(day, rs.one());
                if (current.dailySeq != null) {
                    return current.dailySeq;
                }
                int seq = nextSeq(current, false);
                if (cql.lwt(takeDaily.bind(ttl, seq, seq, day, domain, current.lastSeq), "number tlsrpt report " + domain)
                        .wasApplied()) {
                    return seq;
                }
            } catch (StoreException e) {
                if (!CqlCalls.outcomeUnknown(e)) {
                    throw e;
                }
                Interim s = read(day, domain);
                if (s != null && s.dailySeq != null) {
                    return s.dailySeq;
                }
            }
            if (attempt == 5) {
                // an interim claimed a number between our read and write five times over: give up this
                // pass (the report claim's lease runs out and the next pass numbers it)
                throw new StoreException("report-id of " + domain + " " + day + ": contention", null);
            }
        }
    }

    /** Records how the interim claim {@code claim} ended; false when it was taken over meanwhile. */
    boolean finish(Interim claim, String state, Instant sentAt, List<String> sentTo, String lastError, String reportId,
                   int ttl) {
        try {
            return cql.lwt(finish.bind(ttl, state, sentAt, sentTo, lastError, reportId, claim.day, claim.policyDomain,
                    claim.owner, claim.claimedAt), "finish tlsrpt interim " + claim.policyDomain).wasApplied();
        } catch (StoreException e) {
            if (!CqlCalls.outcomeUnknown(e)) {
                throw e;
            }
            return false; // its lease runs out; the number stays used, the next interim takes the next one
        }
    }

    private static Interim toInterim(LocalDate day, Row r) {
        String st = r.getString("state");
        return new Interim(day, r.getString("policy_domain"), r.isNull("last_seq") ? 1 : r.getInt("last_seq"),
                r.isNull("daily_seq") ? null : r.getInt("daily_seq"), st == null ? null : st.toLowerCase(Locale.ROOT),
                r.getString("owner"), r.getInstant("claimed_at"), r.getInstant("lease_until"));
    }
}
