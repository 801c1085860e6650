package dev.jamesmtasts.james;

import java.util.List;
import java.util.Map;

/**
 * JMX management of the MTA-STS extension, registered on the platform MBeanServer (James's JMX
 * connector, {@code conf/jmx.properties}) under {@value #OBJECT_NAME}. Uses only java.util types so
 * that any JMX client (jconsole, {@code mta-sts jmx}) can call it without project classes: policy rows
 * are {@link dev.jamesmtasts.cache.StoredPolicyView} rows with string values. {@code mta-sts jmx}
 * calls the operations below by name ({@code cli.JmxCommand}): rename them in both places.
 */
public interface MtaStsMBean {
    String OBJECT_NAME = "dev.jamesmtasts:type=MtaSts,name=PolicyCache";

    /** A page of cached policies after {@code afterDomain} (empty: from the start), at most {@code limit} (1..1000). */
    List<Map<String, String>> listPolicies(String afterDomain, int limit);

    /** The cached policy of a domain; empty when none. */
    Map<String, String> showPolicy(String domain);

    /** Refreshes the policy of a domain now. */
    Map<String, String> refreshPolicy(String domain);

    /** Evicts the policy of a domain; true when one was cached. */
    boolean evictPolicy(String domain);

    /** Runs a refresher round now. */
    Map<String, String> runRefresherRound();

    /** Cache counters and delivery counters by MTA-STS verdict. */
    Map<String, Long> getCounters();

    /**
     * The TLS-RPT reports (RFC 8460) of {@code day} ({@code YYYY-MM-DD}, {@code today} or
     * {@code yesterday}, UTC; empty: yesterday), one {@link dev.jamesmtasts.reporting.ReportView} row
     * per policy domain with results or a send state. Fails while TLS-RPT is off.
     */
    List<Map<String, String>> listTlsReports(String day);

    /** One report's row with {@code report}, its RFC 8460 JSON as it would be sent; empty when none. */
    Map<String, String> showTlsReport(String domain, String day);

    /**
     * Flushes this node's results, then sends the reports of {@code day} now: of {@code domainOrEmpty},
     * or of every domain with results when empty; {@code force} re-sends finished ones. One outcome row each.
     */
    List<Map<String, String>> sendTlsReportsNow(String domainOrEmpty, String day, boolean force);

    /**
     * Checks live how mail to {@code domain} would go out now, without sending any: MX hosts probed
     * (STARTTLS, TLS version, certificate), the MTA-STS policy published and cached, the TLS-RPT record
     * and the verdict of the next delivery attempt ({@code dev.jamesmtasts.james.DomainCheck}). Returns the
     * report as one JSON object (the shape of {@code mta-sts check --json}, unsafe characters escaped as
     * backslash-u escapes). Bounded in time (30 s); fails when no delivery mailet runs or too many checks do.
     */
    String checkDomain(String domain);

    /** Attribute {@code StoreAvailable}: true while the policy store (Cassandra) answers. */
    boolean isStoreAvailable();

    /**
     * Attribute {@code StoreStatus}: {@code available}, {@code connecting} or {@code unavailable}, since
     * when, and the last error.
     */
    String getStoreStatus();

    /**
     * Attribute {@code DaneStatus}: DANE (RFC 7672) on this node, the {@code dane} object of WebAdmin
     * {@code GET /mta-sts/health} ({@code mode, used, active, selfCheck, selfCheckReason, selfCheckAt,
     * everWorked, resolvers, state}) plus {@code health} ({@code healthy}/{@code degraded}) and
     * {@code healthCause} ({@link DaneHealthCheck}).
     */
    Map<String, String> getDaneStatus();
}
