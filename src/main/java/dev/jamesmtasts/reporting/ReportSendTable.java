package dev.jamesmtasts.reporting;

import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;
import dev.jamesmtasts.cache.StoreException;

/**
 * The {@code tlsrpt_sends} table: the send lease and outcome of each (UTC day, policy domain) report, so
 * that exactly one node sends it however many James nodes run (RFC 8460 §4: one report per policy domain
 * and period). A claim is a lightweight transaction: {@code INSERT ... IF NOT EXISTS} for the first one,
 * {@code UPDATE ... IF state = ? AND claimed_at = ?} to take over an expired claim, a failed attempt due
 * for retry, or (admin {@code force}) a finished report. {@code claimed_at} of the winning claim is the
 * token its owner must present to record the outcome, so a node whose claim was taken over cannot
 * overwrite the new owner's outcome.
 */
final class ReportSendTable {
    private final CqlCalls cql;
    private final PreparedStatement insertClaim;
    private final PreparedStatement takeOver;
    private final PreparedStatement insertSkipped;
    private final PreparedStatement finish;
    private final PreparedStatement selectDay;
    private final PreparedStatement selectOne;

    ReportSendTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String t = settings.keyspace() + ".tlsrpt_sends";
        insertClaim = cql.prepare("INSERT INTO " + t + " (day, policy_domain, state, owner, claimed_at, lease_until, attempts) "
                + "VALUES (?, ?, 'claimed', ?, ?, ?, 0) IF NOT EXISTS USING TTL ?");
        takeOver = cql.prepare("UPDATE " + t + " USING TTL ? SET state = 'claimed', owner = ?, claimed_at = ?, lease_until = ? "
                + "WHERE day = ? AND policy_domain = ? IF state = ? AND claimed_at = ?");
        insertSkipped = cql.prepare("INSERT INTO " + t + " (day, policy_domain, state, owner, claimed_at, attempts) "
                + "VALUES (?, ?, 'skipped', ?, ?, 0) IF NOT EXISTS USING TTL ?");
        finish = cql.prepare("UPDATE " + t + " USING TTL ? SET state = ?, lease_until = null, attempts = ?, retry_at = ?, "
                + "sent_at = ?, sent_to = ?, last_error = ?, report_id = ? WHERE day = ? AND policy_domain = ? "
                + "IF owner = ? AND claimed_at = ?");
        String cols = "policy_domain, state, owner, claimed_at, lease_until, attempts, retry_at, sent_at, sent_to, "
                + "last_error, report_id";
        selectDay = cql.prepare("SELECT " + cols + " FROM " + t + " WHERE day = ?");
        selectOne = cql.prepare("SELECT " + cols + " FROM " + t + " WHERE day = ? AND policy_domain = ?");
    }

    /** Every report state of {@code day}, by policy domain (one partition; plain read: the claim decides). */
    Map<String, SendState> states(LocalDate day) {
        Map<String, SendState> out = new LinkedHashMap<>();
        AsyncResultSet rs = cql.read(selectDay.bind(day), "tlsrpt sends of " + day);
        while (true) {
            for (Row r : rs.currentPage()) {
                SendState s = toState(day, r);
                out.put(s.policyDomain(), s);
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = cql.await(rs.fetchNextPage(), "tlsrpt sends (next page)");
        }
    }

    /** The state of one report, read serially (sees any claim committed or in progress). */
    SendState state(LocalDate day, String domain) {
        Row r = cql.serialRead(selectOne.bind(day, domain), "tlsrpt send " + domain).one();
        return r == null ? null : toState(day, r);
    }

    /**
     * Claims the report of (day, domain) for {@code owner} until {@code leaseUntil}. Wins when nobody
     * claimed it yet, when the previous claim's lease ran out (its node died mid-send), when the last
     * attempt failed and its retry is due (and fewer than {@code maxAttempts} failed), or with
     * {@code force} when it is finished (admin send-now). Returns the claim (its token is
     * {@code claimedAt}), or null when another node holds it or nothing is due.
     */
    SendState claim(LocalDate day, String domain, String owner, Instant now, Instant leaseUntil, boolean force, int ttl) {
        try {
            AsyncResultSet rs = cql.lwt(insertClaim.bind(day, domain, owner, now, leaseUntil, ttl), "claim tlsrpt " + domain);
            if (rs.wasApplied()) {
                return new SendState(day, domain, SendState.State.CLAIMED, owner, now, leaseUntil, 0, null, null, null,
                        null, null);
            }
            SendState current = toState(day, rs.one());
            if (!mayTakeOver(current, now, force)) {
                return null;
            }
            AsyncResultSet t = cql.lwt(takeOver.bind(ttl, owner, now, leaseUntil, day, domain,
                    current.state().name().toLowerCase(Locale.ROOT), current.claimedAt()), "take over tlsrpt " + domain);
            if (!t.wasApplied()) {
                return null;
            }
            return new SendState(day, domain, SendState.State.CLAIMED, owner, now, leaseUntil, current.attempts(), null,
                    null, null, current.lastError(), current.reportId());
        } catch (StoreException e) {
            if (!CqlCalls.outcomeUnknown(e)) {
                throw e;
            }
            // Paxos contention or a coordinator time-out: a serial read tells whether our claim won
            SendState s = state(day, domain);
            return s != null && s.state() == SendState.State.CLAIMED && owner.equals(s.owner())
                    && now.equals(s.claimedAt()) ? s : null;
        }
    }

    static boolean mayTakeOver(SendState s, Instant now, boolean force) {
        if (s.claimedAt() == null) {
            return false; // not written by this code: leave it alone
        }
        switch (s.state()) {
            case CLAIMED:
                return s.leaseUntil() == null || !s.leaseUntil().isAfter(now);
            case FAILED:
                return force || s.retryAt() == null || !s.retryAt().isAfter(now);
            default:
                return force;
        }
    }

    /** A day without failure that is not to be reported: marked so that later passes skip it. */
    boolean markSkipped(LocalDate day, String domain, String owner, Instant now, int ttl) {
        try {
            return cql.lwt(insertSkipped.bind(day, domain, owner, now, ttl), "skip tlsrpt " + domain).wasApplied();
        } catch (StoreException e) {
            if (!CqlCalls.outcomeUnknown(e)) {
                throw e;
            }
            return false; // the next pass looks again
        }
    }

    /**
     * Records the outcome of the claim {@code claim} (its owner and token); false when the claim was taken
     * over meanwhile (the new owner's outcome stands). Retried while the outcome is unknown.
     */
    boolean finish(SendState claim, SendState.State state, int attempts, Instant retryAt, Instant sentAt,
                   List<String> sentTo, String lastError, String reportId, int ttl) {
        for (int attempt = 1; ; attempt++) {
            try {
                return cql.lwt(finish.bind(ttl, state.name().toLowerCase(Locale.ROOT), attempts, retryAt, sentAt, sentTo,
                        lastError, reportId, claim.day(), claim.policyDomain(), claim.owner(), claim.claimedAt()),
                        "finish tlsrpt " + claim.policyDomain()).wasApplied();
            } catch (StoreException e) {
                if (!CqlCalls.outcomeUnknown(e)) {
                    throw e;
                }
                SendState s = state(claim.day(), claim.policyDomain());
                if (s == null || !claim.owner().equals(s.owner()) || !claim.claimedAt().equals(s.claimedAt())) {
                    return false;
                }
                if (s.state() == state) {
                    return true;
                }
                if (attempt == 3) {
                    return false; // the lease runs out and another node (or the next pass) takes it over
                }
            }
        }
    }

    private static SendState toState(LocalDate day, Row r) {
        String st = r.getString("state");
        SendState.State state;
        try {
            state = SendState.State.valueOf(st == null ? "" : st.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            state = SendState.State.CLAIMED; // unknown: treated as held; mayTakeOver decides by its lease
        }
        return new SendState(day, r.getString("policy_domain"), state, r.getString("owner"), r.getInstant("claimed_at"),
                r.getInstant("lease_until"), r.isNull("attempts") ? 0 : r.getInt("attempts"), r.getInstant("retry_at"),
                r.getInstant("sent_at"), r.getList("sent_to", String.class), r.getString("last_error"),
                r.getString("report_id"));
    }
}
