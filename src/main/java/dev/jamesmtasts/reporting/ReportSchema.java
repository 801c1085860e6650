package dev.jamesmtasts.reporting;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.CqlCalls;

/**
 * The TLS-RPT tables, in the policy store's keyspace (DDL only; one class per table reads and writes them):
 * <ul>
 *   <li>{@code tlsrpt_results}: per (UTC day, policy domain) partition, each node run's absolute totals
 *       ({@link ResultTable});</li>
 *   <li>{@code tlsrpt_domains}: per UTC day, the policy domains with results (the scheduler's index);</li>
 *   <li>{@code tlsrpt_sends}: per UTC day, who sends which domain's report and how it went ({@link ReportSendTable});</li>
 *   <li>{@code tlsrpt_interims}: per UTC day, the report-id sequence numbers of each domain's reports and
 *       its interim report in progress ({@link InterimReportTable});</li>
 *   <li>{@code tlsrpt_rua}: consecutive failures and suppression of a report URI ({@link RuaStateTable}).</li>
 * </ul>
 * Every write carries a TTL (retention), so no table grows without bound.
 */
final class ReportSchema {
    private ReportSchema() {
    }

    static List<String> statements(CacheSettings settings) {
        String ks = settings.keyspace();
        List<String> l = new ArrayList<>();
        l.add("CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + settings.replication());
        // detail_key '' is the policy's summary row (policy columns, successful sessions); any other
        // detail_key is one failure detail (detail columns, failed sessions) of the policy policy_key
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".tlsrpt_results ("
                + "day date, policy_domain text, run text, policy_key text, detail_key text, "
                + "policy_type text, policy_string frozen<list<text>>, mx_host frozen<list<text>>, "
                + "result_type text, sending_mta_ip text, receiving_mx_hostname text, receiving_mx_helo text, "
                + "receiving_ip text, additional_information text, failure_reason_code text, sessions bigint, "
                + "PRIMARY KEY ((day, policy_domain), run, policy_key, detail_key))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".tlsrpt_domains ("
                + "day date, policy_domain text, PRIMARY KEY ((day), policy_domain))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".tlsrpt_sends ("
                + "day date, policy_domain text, state text, owner text, claimed_at timestamp, lease_until timestamp, "
                + "attempts int, retry_at timestamp, sent_at timestamp, sent_to frozen<list<text>>, last_error text, "
                + "report_id text, PRIMARY KEY ((day), policy_domain))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".tlsrpt_interims ("
                + "day date, policy_domain text, last_seq int, daily_seq int, state text, owner text, "
                + "claimed_at timestamp, lease_until timestamp, sent_at timestamp, sent_to frozen<list<text>>, "
                + "last_error text, report_id text, PRIMARY KEY ((day), policy_domain))");
        l.add("CREATE TABLE IF NOT EXISTS " + ks + ".tlsrpt_rua ("
                + "rua text PRIMARY KEY, failures int, last_error text, last_failure timestamp, suppressed_until timestamp)");
        return l;
    }

    static void create(CqlCalls cql, CacheSettings settings) {
        for (String s : statements(settings)) {
            CqlCalls.execute(cql.session(), SimpleStatement.newInstance(s).setTimeout(Duration.ofSeconds(60)),
                    Duration.ofSeconds(60), "schema");
        }
    }
}
