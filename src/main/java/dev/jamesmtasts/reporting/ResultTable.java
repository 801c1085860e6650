package dev.jamesmtasts.reporting;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * The {@code tlsrpt_results} and {@code tlsrpt_domains} tables.
 *
 * <p>Idempotent by design: a node run writes the ABSOLUTE totals of its own counters under its own
 * {@code run} clustering key, overwriting its previous value; a write retried after a time-out, or
 * repeated by the next flush, changes nothing. The report merges by summing over every run's rows of
 * the (day, policy domain) partition (one partition read). Counter columns would make a retried
 * increment count twice (Cassandra counters are not idempotent); see docs/tlsrpt-store.md.
 */
final class ResultTable {
    private static final Logger LOG = LoggerFactory.getLogger(ResultTable.class);
    static final String SUMMARY = "";

    private final CqlCalls cql;
    private final PreparedStatement writeSummary;
    private final PreparedStatement writeFailure;
    private final PreparedStatement writeDomain;
    private final PreparedStatement selectPartition;
    private final PreparedStatement selectDomains;
    private final PreparedStatement selectTtl;

    ResultTable(CqlCalls cql, CacheSettings settings) {
        this.cql = cql;
        String t = settings.keyspace() + ".tlsrpt_results";
        writeSummary = cql.prepare("INSERT INTO " + t + " (day, policy_domain, run, policy_key, detail_key, policy_type, "
                + "policy_string, mx_host, sessions) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?) USING TTL ?");
        writeFailure = cql.prepare("INSERT INTO " + t + " (day, policy_domain, run, policy_key, detail_key, result_type, "
                + "sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip, additional_information, "
                + "failure_reason_code, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        writeDomain = cql.prepare("INSERT INTO " + settings.keyspace() + ".tlsrpt_domains (day, policy_domain) "
                + "VALUES (?, ?) USING TTL ?");
        selectPartition = cql.prepare("SELECT run, policy_key, detail_key, policy_type, policy_string, mx_host, result_type, "
                + "sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip, additional_information, "
                + "failure_reason_code, sessions FROM " + t + " WHERE day = ? AND policy_domain = ?");
        selectDomains = cql.prepare("SELECT policy_domain FROM " + settings.keyspace() + ".tlsrpt_domains WHERE day = ?");
        selectTtl = cql.prepare("SELECT TTL(sessions) FROM " + t + " WHERE day = ? AND policy_domain = ? LIMIT 1");
    }

    CompletionStage<AsyncResultSet> writeSummary(LocalDate day, String run, String policyKey, AppliedPolicy p,
                                                 long successes, int ttl) {
        return cql.startWrite(writeSummary.bind(day, p.policyDomain(), run, policyKey, p.type().label(),
                p.policyString(), p.mxHosts(), successes, ttl));
    }

    CompletionStage<AsyncResultSet> writeFailure(LocalDate day, String domain, String run, String policyKey,
                                                 String detailKey, FailureDetail d, long failures, int ttl) {
        return cql.startWrite(writeFailure.bind(day, domain, run, policyKey, detailKey, d.resultType().label(),
                d.sendingMtaIp(), d.receivingMxHostname(), d.receivingMxHelo(), d.receivingIp(),
                d.additionalInformation(), d.failureReasonCode(), failures, ttl));
    }

    CompletionStage<AsyncResultSet> indexDomain(LocalDate day, String domain, int ttl) {
        return cql.startWrite(writeDomain.bind(day, domain, ttl));
    }

    /** The policy domains with results on {@code day} (one partition of the index). */
    List<String> domains(LocalDate day) {
        List<String> out = new ArrayList<>();
        AsyncResultSet rs = cql.read(selectDomains.bind(day), "tlsrpt domains of " + day);
        while (true) {
            for (Row r : rs.currentPage()) {
                out.add(r.getString(0));
            }
            if (!rs.hasMorePages()) {
                return out;
            }
            rs = cql.await(rs.fetchNextPage(), "tlsrpt domains of " + day + " (next page)");
        }
    }

    /** Seconds left to live of one result row of the partition (null when there is none): for tests and admin. */
    Integer ttlOfAny(LocalDate day, String domain) {
        Row r = cql.read(selectTtl.bind(day, domain), "tlsrpt ttl").one();
        return r == null || r.isNull(0) ? null : r.getInt(0);
    }

    /**
     * Every run's rows of (day, domain) summed per applied policy and failure detail. Policies are in
     * a stable order (type, then key); failure details by falling count.
     */
    List<TlsReport.PolicyResults> read(LocalDate day, String domain) {
        Map<String, AppliedPolicy> policies = new TreeMap<>();
        Map<String, long[]> successes = new HashMap<>();
        Map<String, Map<String, FailureDetail>> details = new HashMap<>();
        Map<String, Map<String, long[]>> failures = new HashMap<>();
        AsyncResultSet rs = cql.read(selectPartition.bind(day, domain), "tlsrpt results " + domain + " " + day);
        while (true) {
            for (Row r : rs.currentPage()) {
                String pk = r.getString(1);
                String dk = r.getString(2);
                long n = r.isNull(13) ? 0 : r.getLong(13);
                if (SUMMARY.equals(dk)) {
                    AppliedPolicy p = toPolicy(domain, r);
                    if (p != null) {
                        policies.putIfAbsent(pk, p);
                        successes.computeIfAbsent(pk, k -> new long[1])[0] += n;
                    }
                } else {
                    FailureDetail d = toDetail(r);
                    if (d != null) {
                        details.computeIfAbsent(pk, k -> new HashMap<>()).putIfAbsent(dk, d);
                        failures.computeIfAbsent(pk, k -> new HashMap<>()).computeIfAbsent(dk, k -> new long[1])[0] += n;
                    }
                }
            }
            if (!rs.hasMorePages()) {
                break;
            }
            rs = cql.await(rs.fetchNextPage(), "tlsrpt results (next page)");
        }
        List<Map.Entry<String, AppliedPolicy>> ordered = new ArrayList<>(policies.entrySet());
        ordered.sort(Comparator.comparing((Map.Entry<String, AppliedPolicy> e) -> e.getValue().type().ordinal())
                .thenComparing(Map.Entry::getKey));
        List<TlsReport.PolicyResults> out = new ArrayList<>();
        for (Map.Entry<String, AppliedPolicy> e : ordered) {
            String pk = e.getKey();
            Map<String, long[]> f = failures.getOrDefault(pk, Map.of());
            List<Map.Entry<String, long[]>> fo = new ArrayList<>(f.entrySet());
            fo.sort(Comparator.comparingLong((Map.Entry<String, long[]> x) -> -x.getValue()[0]).thenComparing(Map.Entry::getKey));
            Map<FailureDetail, Long> byDetail = new LinkedHashMap<>();
            long failed = 0;
            for (Map.Entry<String, long[]> x : fo) {
                byDetail.put(details.get(pk).get(x.getKey()), x.getValue()[0]);
                failed += x.getValue()[0];
            }
            out.add(new TlsReport.PolicyResults(e.getValue(), successes.get(pk)[0], failed, byDetail));
        }
        for (String pk : failures.keySet()) {
            if (!policies.containsKey(pk)) {
                // a run whose summary row never reached the store and no other run has it: the failures
                // cannot be put under a policy; the next flush of that run writes it
                LOG.warn("TLS-RPT results of {} on {}: failure rows without their policy row (key {}), left out",
                        SafeText.of(domain), day, pk);
            }
        }
        return out;
    }

    private static AppliedPolicy toPolicy(String domain, Row r) {
        PolicyType t = PolicyType.fromLabel(r.getString(3)).orElse(null);
        if (t == null) {
            LOG.warn("TLS-RPT results of {}: unknown policy type {}, row left out", SafeText.of(domain),
                    SafeText.of(r.getString(3)));
            return null;
        }
        List<String> ps = r.getList(4, String.class);
        List<String> mx = r.getList(5, String.class);
        return new AppliedPolicy(t, domain, ps == null ? List.of() : ps, mx == null ? List.of() : mx);
    }

    private static FailureDetail toDetail(Row r) {
        ResultType t = ResultType.fromLabel(r.getString(6)).orElse(null);
        if (t == null) {
            LOG.warn("TLS-RPT results: unknown result type {}, row left out", SafeText.of(r.getString(6)));
            return null;
        }
        return new FailureDetail(t, r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getString(11),
                r.getString(12));
    }
}
